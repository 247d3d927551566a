FROM a
VOLUME ["/a", ""]
