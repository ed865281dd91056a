#!/bin/sh
# lambda_bootstrap.sh - the real build/bootstrap driven end to end: a fake Lambda Runtime API, a real
# SigV4-verifying S3 peer (s3rver) behind a fault-injecting proxy, every event type, init and invoke
# errors, faults, and rembg's reference mask. The checks are in tests/lambda/test_bootstrap.py.
ROOT=${U2NET_ROOT:-$(cd "$(dirname "$0")/../.." && pwd)}
exec "${U2NET_PYTHON:-/usr/bin/python3}" "$ROOT/tests/lambda/test_bootstrap.py"
