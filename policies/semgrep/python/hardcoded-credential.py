import os

import psycopg2

# ruleid: idp.python.hardcoded-credential
DB_PASSWORD = "s3cr3t-Pa55w0rd!"
# ruleid: idp.python.hardcoded-credential
api_key = "a8f5f167f44f4964e6c998dee827110c"
# ok: idp.python.hardcoded-credential
password = os.environ["DB_PASSWORD"]
# ok: idp.python.hardcoded-credential
TOKEN_ENV = "GITHUB_TOKEN"
# ok: idp.python.hardcoded-credential
secret = ""
# ok: idp.python.hardcoded-credential
token = "changeme"


def connect():
    # ruleid: idp.python.hardcoded-credential
    return psycopg2.connect(host="db", user="app", password="hunter2hunter2")
