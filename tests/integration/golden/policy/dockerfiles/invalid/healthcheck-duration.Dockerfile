FROM a
HEALTHCHECK --interval=bad CMD x
