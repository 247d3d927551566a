# check=skip=all
# Syntax=foo
# unknown=1
# syntax=bar
FROM a
CMD []
CMD ["x"] trailing
RUN --mount="type=cache,target=/x" --network=none echo
ENTRYPOINT {"a":1}
