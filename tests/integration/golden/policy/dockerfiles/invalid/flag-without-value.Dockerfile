FROM a
COPY --from build /a /b
