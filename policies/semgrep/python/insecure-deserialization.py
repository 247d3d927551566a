import pickle

import yaml


def restore(blob, text):
    # ruleid: idp.python.insecure-deserialization
    session = pickle.loads(blob)
    # ruleid: idp.python.insecure-deserialization
    config = yaml.load(text, Loader=yaml.Loader)
    # ruleid: idp.python.insecure-deserialization
    other = yaml.unsafe_load(text)
    # ok: idp.python.insecure-deserialization
    safe = yaml.safe_load(text)
    # ok: idp.python.insecure-deserialization
    also_safe = yaml.load(text, Loader=yaml.SafeLoader)
    # ok: idp.python.insecure-deserialization
    data = pickle.dumps(session)
    return session, config, other, safe, also_safe, data
