"""Run an unzipped Lambda package the way Lambda does: DIR/bootstrap with LAMBDA_TASK_ROOT=DIR (so the
model is DIR/model.u2n), a fake Runtime API, one direct invoke of PHOTO; write the returned PNG to OUT.

    run_package.py DIR PHOTO OUT [--qemu QEMU --sysroot DIR]     (exit 0, or 1 with the reason)

--qemu runs a foreign-architecture bootstrap under qemu-user (e.g. arm64 on x86_64) with the cross
glibc from --sysroot.
"""
import argparse
import base64
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fake_runtime_api import Answer500, FakeRuntimeAPI, Invocation  # noqa: E402
from rig import Bootstrap, direct_event  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("photo")
    ap.add_argument("out")
    ap.add_argument("--qemu")
    ap.add_argument("--sysroot")
    a = ap.parse_args()
    api = FakeRuntimeAPI().start()
    env = {"AWS_LAMBDA_RUNTIME_API": api.endpoint, "LAMBDA_TASK_ROOT": a.dir, "INPUT_PREFIX": "uploads/",
           "AWS_REGION": "us-east-1", "AWS_ACCESS_KEY_ID": "AKID", "AWS_SECRET_ACCESS_KEY": "SECRET",
           "AWS_ENDPOINT_URL_S3": "http://127.0.0.1:9"}
    exe = os.path.join(a.dir, "bootstrap")
    if a.qemu:
        env["QEMU_LD_PREFIX"] = a.sysroot or ""
        wrapper = os.path.join(os.environ.get("U2NET_TMP", "/tmp"), "qemu-bootstrap-%d.sh" % os.getpid())
        with open(wrapper, "w") as f:
            f.write('#!/bin/sh\nexec "%s" "%s" "$@"\n' % (a.qemu, exe))
        os.chmod(wrapper, 0o755)
        exe = wrapper
    boot = Bootstrap(env, exe=exe).start()
    try:
        with open(a.photo, "rb") as f:
            inv = api.push(Invocation(json.dumps(direct_event(f.read()))))
        r = api.wait_result(inv.request_id, 300, boot.proc)
        if r is None or r.kind != "response" or r.json().get("statusCode") != 200:
            print("no PNG answer: %r; logs %s; stderr %r" % (r, boot.lines[-3:], boot.stderr[-500:]))
            return 1
        with open(a.out, "wb") as f:
            f.write(base64.b64decode(r.json()["body"]))
        api.push(Answer500())
        rc = boot.wait(60)
        if rc != 1:
            print("exit status %r after a 500 from the Runtime API (want 1)" % rc)
            return 1
        return 0
    finally:
        boot.kill()
        api.stop()
        if a.qemu and os.path.exists(exe):
            os.remove(exe)


if __name__ == "__main__":
    sys.exit(main())
