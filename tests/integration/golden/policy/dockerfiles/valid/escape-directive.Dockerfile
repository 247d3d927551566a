# syntax=docker/dockerfile:1
# escape=`
# first comment
   #   indented comment  
FROM alpine AS a
RUN echo a `
  b
# c1
#c2
FROM a
RUN
LABEL old style label
MAINTAINER me <me@x>
ARG X
RUN <<-"EOT" bash
	echo x
	EOT
WORKDIR /x   
