#!/bin/sh
# gen-test-ca.sh DIR [NAME...]: a throwaway TLS set-up for wss:// test runs,
# generated at run time with the openssl CLI (never committed):
#
#   DIR/ca.pem, ca.key              the test CA (EC P-256, valid 2 days)
#   DIR/server.pem, server.key      the dashboard's certificate, signed by it;
#                                   SANs: localhost, 127.0.0.1, the Docker
#                                   service names (dashboard-backend,
#                                   fault-proxy) and every NAME given
#   DIR/other-ca.pem, other-ca.key  an unrelated CA that signed nothing here:
#                                   a client trusting only it must refuse the
#                                   server (the security suite's wrong-CA test)
#
# The keys are mode 0644 so that the containers (another uid, a read-only
# bind mount) can read them; they protect nothing and live in the run's result
# directory, from which ./run_all_tests.sh removes them at the end of a run.
# Exits non-zero with a message when openssl is missing or fails.
set -eu

die() { echo "gen-test-ca: ERROR: $*" >&2; exit 1; }
[ $# -ge 1 ] || die "usage: gen-test-ca.sh DIR [EXTRA_DNS_NAME...]"
command -v openssl >/dev/null 2>&1 || die "the openssl CLI is missing (Debian: apt-get install openssl)"
dir=$1
shift
mkdir -p "$dir"
cd "$dir"

san="DNS:localhost,IP:127.0.0.1,DNS:dashboard-backend,DNS:fault-proxy"
for n in "$@"; do
    case "$n" in
    *[!A-Za-z0-9.-]* | "") die "not a DNS name: $n" ;;
    esac
    san="$san,DNS:$n"
done

ca() { # ca NAME SUBJECT
    openssl req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -keyout "$1.key" -out "$1.pem" -days 2 -subj "$2" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null ||
        die "openssl could not make the CA $1"
}
ca ca "/CN=wsbridge test CA"
ca other-ca "/CN=wsbridge unrelated test CA"

openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout server.key -out server.csr -subj "/CN=localhost" 2>/dev/null ||
    die "openssl could not make the server's key and request"
cat >server.ext <<EOF
basicConstraints=critical,CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=$san
EOF
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
    -out server.pem -days 2 -extfile server.ext 2>/dev/null ||
    die "openssl could not sign the server's certificate"
rm -f server.csr server.ext ca.srl
chmod 0644 ./*.key ./*.pem
openssl verify -CAfile ca.pem server.pem >/dev/null || die "the server certificate does not verify"
if openssl verify -CAfile other-ca.pem server.pem >/dev/null 2>&1; then
    die "the unrelated CA verifies the server certificate"
fi
echo "gen-test-ca: $dir: ca.pem, server.pem (SANs $san), other-ca.pem"
