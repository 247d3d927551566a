import requests
from flask import Flask, request

app = Flask(__name__)


@app.route("/preview")
def preview():
    target = request.args.get("url")
    # ruleid: idp.python.requests-ssrf
    page = requests.get(target, timeout=5)
    # ok: idp.python.requests-ssrf
    status = requests.get("https://status.example.com/api", timeout=5)
    # ok: idp.python.requests-ssrf
    checked = requests.get(allowed_url(target), timeout=5)
    return page.text + status.text + checked.text


def allowed_url(url):
    return url if url.startswith("https://cdn.example.com/") else "https://cdn.example.com/"
