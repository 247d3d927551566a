FROM a
COPY --from=build /x
