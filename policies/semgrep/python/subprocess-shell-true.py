import subprocess


def deploy(branch):
    # ruleid: idp.python.subprocess-shell-true
    subprocess.run(f"git checkout {branch}", shell=True, check=True)
    # ruleid: idp.python.subprocess-shell-true
    subprocess.Popen("ls " + branch, shell=True)
    # ruleid: idp.python.subprocess-shell-true
    out = subprocess.check_output(["sh", "-c", branch], shell=1)
    # ok: idp.python.subprocess-shell-true
    subprocess.run(["git", "checkout", branch], check=True)
    # ok: idp.python.subprocess-shell-true
    subprocess.run(["git", "status"], shell=False)
    return out
