FROM a
LABEL "a b"="c d" e=f
ARG "x y"=z
EXPOSE 80/udp
