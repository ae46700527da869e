#!/usr/bin/env bash
# Makes a throwaway PKI for TLS tests and the demo (`make demo TLS=1`) with openssl:
#   DIR/ca.crt ca.key           a CA (10 years, self-signed)
#   DIR/server.crt server.key   a service certificate for localhost, 127.0.0.1 and ::1, signed by the CA (server
#                               and client use: a service presents it to the services it calls, for mTLS)
#   DIR/client.crt client.key   a client certificate (CN=svckit-client) for mutual TLS, signed by the CA
#   DIR/other-ca.crt other-client.crt other-client.key   a second CA and a client it signed (one servers
#                               trusting DIR/ca.crt must refuse)
# Keys are P-256 ECDSA, unencrypted. Not for production: the CA key sits beside the certificates.
#   bash scripts/make-certs.sh DIR
set -euo pipefail
dir=${1:?usage: make-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
ca() {  # ca NAME CN
  key "$1.key"
  openssl req -x509 -new -key "$1.key" -sha256 -days 3650 -subj "/CN=$2" -out "$1.crt" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}
leaf() {  # leaf NAME CN CA EXT
  key "$1.key"
  openssl req -new -key "$1.key" -subj "/CN=$2" -out "$1.csr" 2>/dev/null
  openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -days 825 -sha256 \
    -extfile <(printf '%s\n' "$4") -out "$1.crt" 2>/dev/null
  rm -f "$1.csr"
}
ca ca "svckit test CA"
leaf server localhost ca "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth,clientAuth"
leaf client svckit-client ca "extendedKeyUsage=clientAuth"
ca other-ca "another CA"
leaf other-client intruder other-ca "extendedKeyUsage=clientAuth"
rm -f ./*.srl
echo "make-certs: CA, server (localhost, 127.0.0.1, ::1) and client certificates in $dir"
