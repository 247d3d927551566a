FROM a
COPY <<EOF <<-EOT /dst
line1
EOF
	line2
	EOT
RUN echo done
RUN <<"EOF" cat > /x
  body # not comment
EOF
# c
RUN 3<<EOF
EOF
