FROM a
SHELL /bin/sh -c
