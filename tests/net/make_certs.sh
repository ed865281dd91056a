#!/bin/sh
# Throwaway CA + a server certificate for localhost/127.0.0.1 (test_curl_dl), and a second,
# unrelated CA to show that an untrusted server is refused.   make_certs.sh DIR
set -e
d=$1
mkdir -p "$d"
cd "$d"
ec="-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes"
for ca in ca other-ca; do
    openssl req -x509 $ec -keyout $ca.key -out $ca.crt -days 2 -subj "/CN=u2net test $ca" \
        -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
done
openssl req $ec -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n' >server.ext
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt -days 2 \
    -extfile server.ext 2>/dev/null
test -s server.crt
