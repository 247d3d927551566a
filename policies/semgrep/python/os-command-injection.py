import os


def archive(name):
    # ruleid: idp.python.os-command-injection
    os.system("tar czf /tmp/backup.tgz " + name)
    # ruleid: idp.python.os-command-injection
    handle = os.popen(f"du -sh {name}")
    # ok: idp.python.os-command-injection
    os.system("sync")
    return handle
