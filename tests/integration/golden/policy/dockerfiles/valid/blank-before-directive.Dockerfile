
# syntax=x
FROM a
