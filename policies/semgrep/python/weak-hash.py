import hashlib


def digest(password, blob):
    # ruleid: idp.python.weak-hash
    token = hashlib.md5(password.encode()).hexdigest()
    # ruleid: idp.python.weak-hash
    legacy = hashlib.new("sha1", blob)
    # ok: idp.python.weak-hash
    etag = hashlib.md5(blob, usedforsecurity=False).hexdigest()
    # ok: idp.python.weak-hash
    strong = hashlib.sha256(blob).hexdigest()
    return token, legacy, etag, strong
