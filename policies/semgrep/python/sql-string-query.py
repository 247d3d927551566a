def find_user(cursor, user_id, name):
    # ruleid: idp.python.sql-string-query
    cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")
    # ruleid: idp.python.sql-string-query
    cursor.execute("SELECT * FROM users WHERE name = '%s'" % name)
    # ruleid: idp.python.sql-string-query
    cursor.execute("SELECT * FROM users WHERE name = '{}'".format(name))
    query = "DELETE FROM users WHERE id = " + user_id
    # ruleid: idp.python.sql-string-query
    cursor.execute(query)
    # ok: idp.python.sql-string-query
    cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))
    # ok: idp.python.sql-string-query
    cursor.execute("SELECT count(*) FROM users")
    return cursor.fetchall()
