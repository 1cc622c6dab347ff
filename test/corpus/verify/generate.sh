#!/usr/bin/env bash
# Regenerates the path-validation corpus in test/fixtures/verify-corpus with
# the OpenSSL 3.0 CLI only (which adds subjectKeyIdentifier and authorityKeyIdentifier unless told "none"). Certificates carry fixed validity dates
# (`openssl ca -startdate/-enddate`, or `openssl x509 -preserve_dates` when a
# certificate must be re-signed), and every case names a fixed validation
# time, so the corpus never rots. Keys are fresh on every run; the verdicts
# do not depend on them.
#
# Usage: test/corpus/verify/generate.sh   (from anywhere; needs openssl ≥ 3.0, xxd)
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
OUT="$ROOT_DIR/test/fixtures/verify-corpus"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
rm -rf "$OUT"
mkdir -p "$OUT/certs" "$WORK/keys"

AT="2025-06-01T00:00:00Z"           # default validation time
CA_START=20240101000000Z; CA_END=20340101000000Z
INT_START=20240101000000Z; INT_END=20300101000000Z
LEAF_START=20250101000000Z; LEAF_END=20260101000000Z

cat > "$WORK/ca.cnf" <<'EOF'
[ca]
default_ca = corpus
[corpus]
database = ./index.txt
new_certs_dir = ./new
serial = ./serial
policy = anything
default_md = sha256
unique_subject = no
copy_extensions = none
email_in_dn = no
[anything]
countryName = optional
organizationName = optional
organizationalUnitName = optional
commonName = optional
EOF

declare -A KEYOF

# key NAME TYPE: rsa1024 rsa2048 rsa-pss p256 p384 p521 ed25519 ed448
key() {
  local f="$WORK/keys/$1.key"
  case "$2" in
    rsa1024) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:1024 -out "$f" 2>/dev/null ;;
    rsa2048) openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$f" 2>/dev/null ;;
    rsa-pss) openssl genpkey -algorithm RSA-PSS -pkeyopt rsa_keygen_bits:2048 -out "$f" 2>/dev/null ;;
    p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$f" ;;
    p384) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$f" ;;
    p521) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-521 -out "$f" ;;
    ed25519) openssl genpkey -algorithm ED25519 -out "$f" ;;
    ed448) openssl genpkey -algorithm ED448 -out "$f" ;;
  esac
}

# cert NAME KEY SUBJECT ISSUER|self START END [openssl ca options...] <<< "extension lines"
# Extension lines come from stdin; none makes a version 1 certificate.
cert() {
  local name=$1 k=$2 subj=$3 issuer=$4 start=$5 end=$6
  shift 6
  local d="$WORK/ca-$name"
  mkdir -p "$d/new"
  : > "$d/index.txt"
  # Serials: 8 random bytes with the top bit clear (RFC 5280 §4.1.2.2: positive).
  printf '%s\n' "$(openssl rand -hex 8 | sed 's/^./4/')" > "$d/serial"
  local ext; ext="$(cat)"
  local extargs=()
  if [[ -n "$ext" ]]; then
    printf '[x]\n%s\n' "$ext" > "$d/ext.cnf"
    extargs=(-extfile "$d/ext.cnf" -extensions x)
  fi
  openssl req -new -key "$WORK/keys/$k.key" -subj "$subj" -out "$d/req.csr"
  local signer=()
  if [[ "$issuer" == self ]]; then
    signer=(-selfsign -keyfile "$WORK/keys/$k.key")
  else
    signer=(-cert "$OUT/certs/$issuer.pem" -keyfile "$WORK/keys/${KEYOF[$issuer]}.key")
  fi
  (cd "$d" && openssl ca -batch -config "$WORK/ca.cnf" -preserveDN -notext "${signer[@]}" \
      -in req.csr -out "$OUT/certs/$name.pem" -startdate "$start" -enddate "$end" \
      "${extargs[@]}" "$@" 2>"$d/log") || { cat "$d/log" >&2; exit 1; }
  KEYOF[$name]=$k
}

CA_EXT='basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always'
leaf_ext() { # leaf_ext SAN [EKU] [KU]
  printf 'basicConstraints = critical,CA:FALSE\nkeyUsage = critical,%s\nextendedKeyUsage = %s\nsubjectKeyIdentifier = hash\nauthorityKeyIdentifier = keyid\nsubjectAltName = %s\n' \
    "${3:-digitalSignature,keyEncipherment}" "${2:-serverAuth,clientAuth}" "$1"
}
ec_leaf_ext() { leaf_ext "$1" "${2:-serverAuth,clientAuth}" "${3:-digitalSignature}"; }

# Flips one byte inside the signature value of certificate $1 into $2.
tamper() {
  local der="$WORK/tamper.der"
  openssl x509 -in "$OUT/certs/$1.pem" -outform DER -out "$der"
  local size; size=$(stat -c %s "$der")
  local pos=$((size - 8))
  local byte; byte=$(xxd -s "$pos" -l 1 -p "$der")
  printf '%02x' $(( 0x$byte ^ 0x01 )) | xxd -r -p | dd of="$der" bs=1 seek="$pos" conv=notrunc status=none
  openssl x509 -inform DER -in "$der" -out "$OUT/certs/$2.pem"
  KEYOF[$2]=${KEYOF[$1]}
}

CASES="$WORK/cases.jsonl"
: > "$CASES"
# [F="finding codes"] case ID DESCRIPTION LEAF "INTERMEDIATES" "ROOTS" AT HOSTNAME USAGE VALID CODE [WARNING]
# VALID and CODE are the `go` profile's verdict (Go's crypto/x509); F lists the RFC 5280 §4 profile
# findings expected (warnings under `go`, errors under `strict`), so `strict` is valid only when
# VALID is true and F is empty.
case_() {
  local id=$1 desc=$2 leaf=$3 ints=$4 roots=$5 at=$6 host=$7 usage=$8 valid=$9 code=${10} warn=${11:-}
  local jl; jl() { local out="" x; for x in $1; do out+="${out:+,}\"certs/$x.pem\""; done; printf '[%s]' "$out"; }
  local jw; jw() { local out="" x; for x in $1; do out+="${out:+,}\"$x\""; done; printf '[%s]' "$out"; }
  local strict=$valid; [[ -n "${F:-}" ]] && strict=false
  printf '{"id":"%s","description":"%s","leaf":"certs/%s.pem","intermediates":%s,"roots":%s,"at":"%s","hostname":%s,"usage":"%s","expect":{"valid":%s,"error":%s,"warning":%s,"findings":%s,"strict_valid":%s}}\n' \
    "$id" "$desc" "$leaf" "$(jl "$ints")" "$(jl "$roots")" "$at" \
    "$([[ -n "$host" ]] && printf '"%s"' "$host" || printf null)" "$usage" "$valid" \
    "$([[ -n "$code" ]] && printf '"%s"' "$code" || printf null)" \
    "$([[ -n "$warn" ]] && printf '"%s"' "$warn" || printf null)" "$(jw "$(printf '%s\n' ${F:-} | sort -u | xargs)")" "$strict" >> "$CASES"
}
ok_()  { case_ "$1" "$2" "$3" "$4" "$5" "${6:-$AT}" "${7:-}" "${8:-server}" true "" "${9:-}"; }
bad_() { case_ "$1" "$2" "$3" "$4" "$5" "${7:-$AT}" "${8:-}" "${9:-server}" false "$6"; }

# ---------------------------------------------------------------- keys
for k in rootA intA intB rootB rootC impostor rsaleaf rsaleaf2 cross1 cross2 cross3 nc1 nc2 nc3 nc4 nc5 nc6 nc7 nc8 nc9 ncR \
         d1 d2 d3 d4 d5 d6 d7 d8 pl0 pl1 pl2 pl3 v1root v1int kuint ekuint1 ekuint2 ucint malint expint nyvint exproot rootOld; do key "$k" rsa2048; done
for k in ecroot256 ecleaf ecroot384 ecroot521 kumaEc selfEc; do :; done
key ecroot256 p256; key ecroot384 p384; key ecroot521 p521; key ecleaf p256; key kumaEc p256; key ecleaf384 p384; key ecleaf521 p521
key edroot ed25519; key edleaf ed25519; key ed448root ed448
key pssroot rsa-pss; key rsa1024leaf rsa1024; key kumaRsa rsa2048; key selfRsa rsa2048

# ---------------------------------------------------------------- PKI A: RSA root → intermediate → leaves
cert rootA rootA "/O=EdgeCA Corpus/CN=Root A" self $CA_START $CA_END <<< "$CA_EXT"
cert intA intA "/O=EdgeCA Corpus/CN=Intermediate A" rootA $INT_START $INT_END <<< "$CA_EXT"
cert leafA rsaleaf "/CN=cp.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:cp.example.com,DNS:kuma-control-plane.kuma-system.svc,IP:10.1.2.3,IP:2001:db8::1')"
cert rootB rootB "/O=Other Corpus/CN=Root B" self $CA_START $CA_END <<< "$CA_EXT"
cert intB intB "/O=Other Corpus/CN=Intermediate B" rootB $INT_START $INT_END <<< "$CA_EXT"

ok_ basic-chain "leaf, intermediate and root (RSA 2048, SHA-256)" leafA "intA" "rootA"
ok_ basic-hostname "hostname matches a dNSName SAN exactly" leafA "intA" "rootA" "$AT" cp.example.com
ok_ basic-out-of-order "intermediates in any order, with unrelated certificates" leafA "intB rootB intA" "rootA" "$AT" cp.example.com
ok_ basic-root-in-chain "the root also sent as an intermediate" leafA "intA rootA" "rootA"
ok_ basic-two-roots "several trust anchors, one relevant" leafA "intA" "rootB rootA"
bad_ missing-intermediate "the intermediate is not supplied" leafA "" "rootA" unknown_authority
bad_ foreign-root "trust bundle of another CA" leafA "intA" "rootB" unknown_authority
bad_ foreign-root-with-its-int "another CA's root and intermediate" leafA "intB" "rootB" unknown_authority
bad_ no-roots-leaf-only "only the leaf, no intermediates, unrelated roots" leafA "" "rootB" unknown_authority

# ---------------------------------------------------------------- hostnames (RFC 6125)
ok_ host-uppercase "hostname compared case-insensitively" leafA "intA" "rootA" "$AT" CP.Example.COM
ok_ host-trailing-dot "a trailing dot on the hostname is ignored" leafA "intA" "rootA" "$AT" cp.example.com.
ok_ host-svc "Kubernetes service name SAN" leafA "intA" "rootA" "$AT" kuma-control-plane.kuma-system.svc
ok_ host-ipv4 "IPv4 literal matches an iPAddress SAN" leafA "intA" "rootA" "$AT" 10.1.2.3
ok_ host-ipv6 "IPv6 literal in a different spelling matches" leafA "intA" "rootA" "$AT" "2001:DB8:0:0::1"
ok_ host-ipv6-brackets "bracketed IPv6 literal" leafA "intA" "rootA" "$AT" "[2001:db8::1]"
ok_ host-ipv4-mapped "IPv4-mapped IPv6 equals the IPv4 SAN (Go net.IP.Equal)" leafA "intA" "rootA" "$AT" "::ffff:10.1.2.3"
bad_ host-wrong "another hostname" leafA "intA" "rootA" hostname_mismatch "$AT" other.example.com
bad_ host-subdomain "a subdomain of the SAN" leafA "intA" "rootA" hostname_mismatch "$AT" a.cp.example.com
bad_ host-ipv4-wrong "another IPv4 address" leafA "intA" "rootA" hostname_mismatch "$AT" 10.1.2.4
bad_ host-ipv6-wrong "another IPv6 address" leafA "intA" "rootA" hostname_mismatch "$AT" 2001:db8::2
bad_ host-invalid "a hostname that is neither DNS name nor IP" leafA "intA" "rootA" invalid_hostname "$AT" "bad host!"

cert leafWild rsaleaf "/CN=*.mesh.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:*.mesh.example.com')"
ok_ wild-one-label "wildcard matches one left-most label" leafWild "intA" "rootA" "$AT" zone1.mesh.example.com
bad_ wild-two-labels "wildcard does not match two labels" leafWild "intA" "rootA" hostname_mismatch "$AT" a.zone1.mesh.example.com
bad_ wild-bare "wildcard does not match the bare parent" leafWild "intA" "rootA" hostname_mismatch "$AT" mesh.example.com
cert leafPartial rsaleaf "/CN=f*o.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:f*o.example.com')"
F=dns_name_malformed bad_ wild-partial "partial-label wildcard never matches" leafPartial "intA" "rootA" hostname_mismatch "$AT" foo.example.com
cert leafMidWild rsaleaf "/CN=a.*.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:a.*.example.com')"
F=dns_name_malformed bad_ wild-middle "wildcard not in the left-most label" leafMidWild "intA" "rootA" hostname_mismatch "$AT" a.b.example.com
cert leafIpAsDns rsaleaf "/CN=10.9.8.7" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:10.9.8.7')"
bad_ host-ip-vs-dns-san "IP literal against a dNSName SAN holding the same text" leafIpAsDns "intA" "rootA" hostname_mismatch "$AT" 10.9.8.7
cert leafCnOnly rsaleaf "/CN=legacy.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid'
bad_ host-cn-only "CN-only certificate: the CN is ignored (Go ≥ 1.15)" leafCnOnly "intA" "rootA" hostname_mismatch "$AT" legacy.example.com
ok_ cn-only-no-hostname "CN-only certificate without hostname check: valid with a warning" leafCnOnly "intA" "rootA" "$AT" "" server cn_only_name
cert leafCnDiff rsaleaf "/CN=cn.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:san.example.com')"
bad_ host-cn-ignored "the CN is ignored when SANs exist" leafCnDiff "intA" "rootA" hostname_mismatch "$AT" cn.example.com
ok_ host-san-not-cn "the SAN matches although the CN differs" leafCnDiff "intA" "rootA" "$AT" san.example.com

# ---------------------------------------------------------------- validity
cert leafShort rsaleaf "/CN=short.example.com" intA 20250101000000Z 20250615000000Z <<< "$(leaf_ext 'DNS:short.example.com')"
ok_ expires-soon "valid, expiring within 30 days" leafShort "intA" "rootA" "$AT" short.example.com server expires_soon
ok_ at-not-after "validation time equal to notAfter is still valid" leafShort "intA" "rootA" "2025-06-15T00:00:00Z" short.example.com
bad_ at-after-not-after "one second after notAfter" leafShort "intA" "rootA" expired "2025-06-15T00:00:01Z"
ok_ at-not-before "validation time equal to notBefore" leafA "intA" "rootA" "2025-01-01T00:00:00Z"
bad_ leaf-expired "leaf expired" leafA "intA" "rootA" expired "2026-03-01T00:00:00Z"
bad_ leaf-not-yet-valid "leaf not yet valid" leafA "intA" "rootA" not_yet_valid "2024-06-01T00:00:00Z"
cert intExpired expint "/O=EdgeCA Corpus/CN=Expired Intermediate" rootA 20200101000000Z 20250101000000Z <<< "$CA_EXT"
cert leafUnderExp rsaleaf "/CN=exp.example.com" intExpired 20240601000000Z 20260101000000Z <<< "$(leaf_ext 'DNS:exp.example.com')"
bad_ int-expired "intermediate expired" leafUnderExp "intExpired" "rootA" expired
cert intNyv nyvint "/O=EdgeCA Corpus/CN=Future Intermediate" rootA 20250701000000Z 20300101000000Z <<< "$CA_EXT"
cert leafUnderNyv rsaleaf "/CN=nyv.example.com" intNyv $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:nyv.example.com')"
bad_ int-not-yet-valid "intermediate not yet valid" leafUnderNyv "intNyv" "rootA" not_yet_valid
cert rootExpired exproot "/O=EdgeCA Corpus/CN=Expired Root" self 20150101000000Z 20250101000000Z <<< "$CA_EXT"
cert leafUnderExpRoot rsaleaf "/CN=er.example.com" rootExpired 20240601000000Z 20260101000000Z <<< "$(leaf_ext 'DNS:er.example.com')"
bad_ root-expired "the trust anchor itself expired" leafUnderExpRoot "" "rootExpired" expired

# ---------------------------------------------------------------- signatures
tamper leafA leafTampered
bad_ tampered-leaf "one byte of the leaf signature flipped" leafTampered "intA" "rootA" bad_signature
tamper intA intTampered
bad_ tampered-int "one byte of the intermediate signature flipped" leafA "intTampered" "rootA" bad_signature
cert impostorInt impostor "/O=EdgeCA Corpus/CN=Intermediate A" rootA $INT_START $INT_END <<< 'basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign'
ok_ same-name-two-issuers "two intermediates with the same name; only one has the right key" leafA "impostorInt intA" "rootA" "$AT" cp.example.com
bad_ same-name-wrong-key "only an intermediate with the right name but the wrong key" leafA "impostorInt" "rootA" bad_signature
cert rootAImpostor impostor "/O=EdgeCA Corpus/CN=Root A" self $CA_START $CA_END <<< 'basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign'
bad_ root-same-name-wrong-key "a root with the issuer's name but another key" leafA "intA" "rootAImpostor" bad_signature

cert ecRoot256 ecroot256 "/O=EdgeCA Corpus/CN=EC P-256 Root" self $CA_START $CA_END <<< "$CA_EXT"
cert ecLeaf256 ecleaf "/CN=ec256.example.com" ecRoot256 $LEAF_START $LEAF_END -md sha256 <<< "$(ec_leaf_ext 'DNS:ec256.example.com')"
ok_ sig-ecdsa-p256-sha256 "ECDSA P-256 with SHA-256" ecLeaf256 "" "ecRoot256" "$AT" ec256.example.com
cert ecLeaf256s384 ecleaf "/CN=ec256.example.com" ecRoot256 $LEAF_START $LEAF_END -md sha384 <<< "$(ec_leaf_ext 'DNS:ec256.example.com')"
ok_ sig-ecdsa-p256-sha384 "ECDSA P-256 key signing with SHA-384" ecLeaf256s384 "" "ecRoot256"
cert ecRoot384 ecroot384 "/O=EdgeCA Corpus/CN=EC P-384 Root" self $CA_START $CA_END -md sha384 <<< "$CA_EXT"
cert ecLeaf384 ecleaf384 "/CN=ec384.example.com" ecRoot384 $LEAF_START $LEAF_END -md sha384 <<< "$(ec_leaf_ext 'DNS:ec384.example.com')"
ok_ sig-ecdsa-p384-sha384 "ECDSA P-384 with SHA-384" ecLeaf384 "" "ecRoot384" "$AT" ec384.example.com
cert ecRoot521 ecroot521 "/O=EdgeCA Corpus/CN=EC P-521 Root" self $CA_START $CA_END -md sha512 <<< "$CA_EXT"
cert ecLeafUnder521 ecleaf "/CN=ec521.example.com" ecRoot521 $LEAF_START $LEAF_END -md sha512 <<< "$(ec_leaf_ext 'DNS:ec521.example.com')"
ok_ sig-ecdsa-p521-sha512 "ECDSA P-521 with SHA-512" ecLeafUnder521 "" "ecRoot521"
cert ecLeaf521 ecleaf521 "/CN=p521leaf.example.com" ecRoot256 $LEAF_START $LEAF_END <<< "$(ec_leaf_ext 'DNS:p521leaf.example.com')"
ok_ leaf-p521-envoy "P-521 leaf: valid, but Envoy refuses it" ecLeaf521 "" "ecRoot256" "$AT" "" server leaf_key_not_usable_by_envoy
cert rsaLeaf384 rsaleaf "/CN=rsa384.example.com" rootA $LEAF_START $LEAF_END -md sha384 <<< "$(leaf_ext 'DNS:rsa384.example.com')"
ok_ sig-rsa-sha384 "RSA PKCS#1 v1.5 with SHA-384" rsaLeaf384 "" "rootA"
cert rsaLeaf512 rsaleaf "/CN=rsa512.example.com" rootA $LEAF_START $LEAF_END -md sha512 <<< "$(leaf_ext 'DNS:rsa512.example.com')"
ok_ sig-rsa-sha512 "RSA PKCS#1 v1.5 with SHA-512" rsaLeaf512 "" "rootA"
for h in 256 384 512; do
  salt=$((h / 8))
  cert "pssLeaf$h" rsaleaf "/CN=pss$h.example.com" rootA $LEAF_START $LEAF_END -md "sha$h" -sigopt rsa_padding_mode:pss -sigopt "rsa_pss_saltlen:$salt" <<< "$(leaf_ext "DNS:pss$h.example.com")"
  ok_ "sig-rsa-pss-sha$h" "RSA-PSS with SHA-$h, MGF1-SHA-$h, salt $salt" "pssLeaf$h" "" "rootA"
done
cert pssLeafSalt0 rsaleaf "/CN=pss0.example.com" rootA $LEAF_START $LEAF_END -md sha256 -sigopt rsa_padding_mode:pss -sigopt rsa_pss_saltlen:0 <<< "$(leaf_ext 'DNS:pss0.example.com')"
bad_ sig-rsa-pss-salt0 "RSA-PSS with an empty salt: Go knows PSS only with salt = hash length" pssLeafSalt0 "" "rootA" unsupported_signature_algorithm
cert pssRoot pssroot "/O=EdgeCA Corpus/CN=RSA-PSS Key Root" self $CA_START $CA_END -md sha256 -sigopt rsa_pss_saltlen:32 <<< "$CA_EXT"
cert leafUnderPssKey rsaleaf "/CN=psskey.example.com" pssRoot $LEAF_START $LEAF_END -md sha256 -sigopt rsa_pss_saltlen:32 <<< "$(leaf_ext 'DNS:psskey.example.com')"
bad_ sig-rsa-pss-key "issuer key is an id-RSASSA-PSS key (RFC 4055), which Go cannot use" leafUnderPssKey "" "pssRoot" unsupported_signature_algorithm
cert edRoot edroot "/O=EdgeCA Corpus/CN=Ed25519 Root" self $CA_START $CA_END <<< "$CA_EXT"
cert ecLeafUnderEd ecleaf "/CN=ed.example.com" edRoot $LEAF_START $LEAF_END <<< "$(ec_leaf_ext 'DNS:ed.example.com')"
ok_ sig-ed25519 "Ed25519 root signing an ECDSA leaf" ecLeafUnderEd "" "edRoot" "$AT" ed.example.com
cert edLeaf edleaf "/CN=edleaf.example.com" edRoot $LEAF_START $LEAF_END <<< "$(ec_leaf_ext 'DNS:edleaf.example.com')"
ok_ leaf-ed25519-envoy "Ed25519 leaf: valid, but Envoy refuses it" edLeaf "" "edRoot" "$AT" "" server leaf_key_not_usable_by_envoy
cert ed448Root ed448root "/O=EdgeCA Corpus/CN=Ed448 Root" self $CA_START $CA_END <<< "$CA_EXT"
cert leafUnderEd448 ecleaf "/CN=ed448.example.com" ed448Root $LEAF_START $LEAF_END <<< "$(ec_leaf_ext 'DNS:ed448.example.com')"
bad_ sig-ed448 "Ed448 signatures are not supported (Go does not either)" leafUnderEd448 "" "ed448Root" unsupported_signature_algorithm
cert leafSha224 rsaleaf "/CN=sha224.example.com" rootA $LEAF_START $LEAF_END -md sha224 <<< "$(leaf_ext 'DNS:sha224.example.com')"
bad_ sig-rsa-sha224 "SHA-224 is not supported" leafSha224 "" "rootA" unsupported_signature_algorithm
cert leafSha1 rsaleaf "/CN=sha1.example.com" rootA $LEAF_START $LEAF_END -md sha1 <<< "$(leaf_ext 'DNS:sha1.example.com')"
bad_ sig-rsa-sha1 "SHA-1 RSA signature" leafSha1 "" "rootA" weak_signature_algorithm
cert leafMd5 rsaleaf "/CN=md5.example.com" rootA $LEAF_START $LEAF_END -md md5 <<< "$(leaf_ext 'DNS:md5.example.com')"
bad_ sig-rsa-md5 "MD5 RSA signature" leafMd5 "" "rootA" weak_signature_algorithm
cert ecLeafSha1 ecleaf "/CN=ecsha1.example.com" ecRoot256 $LEAF_START $LEAF_END -md sha1 <<< "$(ec_leaf_ext 'DNS:ecsha1.example.com')"
bad_ sig-ecdsa-sha1 "ECDSA with SHA-1" ecLeafSha1 "" "ecRoot256" weak_signature_algorithm
cert intSha1 intA "/O=EdgeCA Corpus/CN=Intermediate A" rootA $INT_START $INT_END -md sha1 <<< "$CA_EXT"
bad_ sig-int-sha1 "intermediate signed with SHA-1" leafA "intSha1" "rootA" weak_signature_algorithm
cert rootSha1 rootC "/O=EdgeCA Corpus/CN=SHA-1 Root" self $CA_START $CA_END -md sha1 <<< "$CA_EXT"
cert leafUnderSha1Root rsaleaf "/CN=s1r.example.com" rootSha1 $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:s1r.example.com')"
ok_ root-self-sha1 "a root self-signed with SHA-1: its own signature is not relied on" leafUnderSha1Root "" "rootSha1" "$AT" "" server sha1_signature
cert leafRsa1024 rsa1024leaf "/CN=small.example.com" rootA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:small.example.com')"
ok_ rsa-1024-leaf "RSA 1024 leaf: valid with a warning" leafRsa1024 "" "rootA" "$AT" "" server rsa_key_too_small
cert ecRoot256Rsa rootC "/O=EdgeCA Corpus/CN=EC P-256 Root" self $CA_START $CA_END <<< "$CA_EXT"
bad_ ec-leaf-wrong-root-key "ECDSA leaf presented with an RSA root of the same name" ecLeaf256 "" "ecRoot256Rsa" bad_signature

# ---------------------------------------------------------------- issuers (RFC 5280 §4.2.1.9, §6.1.4)
cert intNotCa ucint "/O=EdgeCA Corpus/CN=Not A CA" rootA $INT_START $INT_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid'
cert leafUnderNotCa rsaleaf "/CN=notca.example.com" intNotCa $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:notca.example.com')"
F=key_cert_sign_without_ca bad_ int-ca-false "intermediate with CA:FALSE" leafUnderNotCa "intNotCa" "rootA" issuer_not_ca
cert intNoBc ucint "/O=EdgeCA Corpus/CN=No Basic Constraints" rootA $INT_START $INT_END <<< 'keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid'
cert leafUnderNoBc rsaleaf "/CN=nobc.example.com" intNoBc $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:nobc.example.com')"
F=key_cert_sign_without_ca bad_ int-no-bc "intermediate without basicConstraints" leafUnderNoBc "intNoBc" "rootA" issuer_not_ca
cert intV1 v1int "/O=EdgeCA Corpus/CN=Version 1 Intermediate" rootA $INT_START $INT_END <<< ""
cert leafUnderV1 rsaleaf "/CN=v1.example.com" intV1 $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:v1.example.com'
bad_ int-v1 "version 1 intermediate cannot issue" leafUnderV1 "intV1" "rootA" issuer_not_ca
cert rootV1 v1root "/O=EdgeCA Corpus/CN=Version 1 Root" self $CA_START $CA_END <<< ""
cert leafUnderV1Root rsaleaf "/CN=v1root.example.com" rootV1 $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectKeyIdentifier = hash
subjectAltName = DNS:v1root.example.com'
ok_ root-v1 "version 1 trust anchor (accepted as name + key, like Go)" leafUnderV1Root "" "rootV1" "$AT" v1root.example.com server v1_trust_anchor
cert intNoCertSign kuint "/O=EdgeCA Corpus/CN=No keyCertSign" rootA $INT_START $INT_END <<< 'basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid'
cert leafUnderNoCertSign rsaleaf "/CN=nocs.example.com" intNoCertSign $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:nocs.example.com')"
bad_ int-no-keycertsign "intermediate keyUsage without keyCertSign" leafUnderNoCertSign "intNoCertSign" "rootA" issuer_missing_key_cert_sign

# path length
cert plRoot0 pl0 "/O=EdgeCA Corpus/CN=Root pathlen 0" self $CA_START $CA_END <<< "${CA_EXT/CA:TRUE/CA:TRUE,pathlen:0}"
cert plInt pl1 "/O=EdgeCA Corpus/CN=Under pathlen 0" plRoot0 $INT_START $INT_END <<< "$CA_EXT"
cert leafUnderPl rsaleaf "/CN=pl.example.com" plInt $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:pl.example.com')"
bad_ pathlen-root-0 "root pathlen:0 with an intermediate below" leafUnderPl "plInt" "plRoot0" path_length_exceeded
cert leafUnderPlRoot rsaleaf "/CN=pl0.example.com" plRoot0 $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:pl0.example.com')"
ok_ pathlen-root-0-direct "root pathlen:0 issuing the leaf directly" leafUnderPlRoot "" "plRoot0"
cert plRoot1 pl2 "/O=EdgeCA Corpus/CN=Root pathlen 1" self $CA_START $CA_END <<< "${CA_EXT/CA:TRUE/CA:TRUE,pathlen:1}"
cert plInt1a pl3 "/O=EdgeCA Corpus/CN=Pathlen Int 1" plRoot1 $INT_START $INT_END <<< "$CA_EXT"
cert leafPl1 rsaleaf "/CN=pl1.example.com" plInt1a $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:pl1.example.com')"
ok_ pathlen-root-1 "root pathlen:1 with one intermediate" leafPl1 "plInt1a" "plRoot1"
cert plInt0 pl0 "/O=EdgeCA Corpus/CN=Int pathlen 0" rootA $INT_START $INT_END <<< "${CA_EXT/CA:TRUE/CA:TRUE,pathlen:0}"
cert plInt0child pl1 "/O=EdgeCA Corpus/CN=Below Int pathlen 0" plInt0 $INT_START $INT_END <<< "$CA_EXT"
cert leafPl0child rsaleaf "/CN=pl0c.example.com" plInt0child $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:pl0c.example.com')"
bad_ pathlen-int-0 "intermediate pathlen:0 with another CA below it" leafPl0child "plInt0 plInt0child" "rootA" path_length_exceeded
cert leafPl0direct rsaleaf "/CN=pl0d.example.com" plInt0 $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:pl0d.example.com')"
ok_ pathlen-int-0-direct "intermediate pathlen:0 issuing the leaf" leafPl0direct "plInt0" "rootA"
# A self-issued intermediate (key rollover: same name as its issuer) does not count (RFC 5280 §6.1.4 (l)).
cert plSelfIssued pl2 "/O=EdgeCA Corpus/CN=Root pathlen 0" plRoot0 $INT_START $INT_END <<< "$CA_EXT"
cert leafUnderSelfIssued rsaleaf "/CN=si.example.com" plSelfIssued $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:si.example.com')"
bad_ pathlen-self-issued "self-issued intermediate under pathlen:0: RFC 5280 would not count it, Go does" leafUnderSelfIssued "plSelfIssued" "plRoot0" path_length_exceeded

# depth: root + 6 intermediates + leaf = 8 certificates (the limit), then 9
prev=rootA; chain=""
for i in 1 2 3 4 5 6 7; do
  cert "deep$i" "d$i" "/O=EdgeCA Corpus/CN=Deep $i" "$prev" $INT_START $INT_END <<< "$CA_EXT"
  prev="deep$i"; chain="$chain deep$i"
  if [[ $i == 6 ]]; then
    cert leafDepth8 rsaleaf "/CN=depth8.example.com" deep6 $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:depth8.example.com')"
    ok_ depth-8 "eight certificates in the path (the limit)" leafDepth8 "$chain" "rootA"
  fi
done
cert leafDepth9 rsaleaf "/CN=depth9.example.com" deep7 $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:depth9.example.com')"
ok_ depth-9 "nine certificates: Go has no depth limit" leafDepth9 "$chain" "rootA"

# cross-signing and loops
cert rootOld rootOld "/O=EdgeCA Corpus/CN=Old Root" self 20150101000000Z 20250301000000Z <<< "$CA_EXT"
cert crossByOld rootA "/O=EdgeCA Corpus/CN=Root A" rootOld 20200101000000Z 20250301000000Z <<< "$CA_EXT"
ok_ cross-new-root-trusted "cross-signed root in the chain; the new root is trusted" leafA "crossByOld intA" "rootA"
ok_ cross-old-root-only "only the old root is trusted: path through the cross-certificate" leafA "intA crossByOld" "rootOld" "2025-02-01T00:00:00Z"
bad_ cross-old-root-expired "only the old, expired root is trusted" leafA "intA crossByOld" "rootOld" expired
ok_ cross-both-roots "both roots trusted; the valid path wins" leafA "crossByOld intA" "rootOld rootA"
cert loopA cross1 "/O=EdgeCA Corpus/CN=Loop A" self $CA_START $CA_END <<< "$CA_EXT"
cert loopB cross2 "/O=EdgeCA Corpus/CN=Loop B" loopA $INT_START $INT_END <<< "$CA_EXT"
cert loopAbyB cross1 "/O=EdgeCA Corpus/CN=Loop A" loopB $INT_START $INT_END <<< "$CA_EXT"
cert leafLoop rsaleaf "/CN=loop.example.com" loopB $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:loop.example.com')"
bad_ loop-no-anchor "A and B cross-signed, no trust anchor: the loop stops" leafLoop "loopB loopAbyB loopA" "rootA" unknown_authority
ok_ loop-with-anchor "A and B cross-signed, A trusted" leafLoop "loopB loopAbyB" "loopA"

# ---------------------------------------------------------------- EKU (RFC 5280 §4.2.1.12)
cert leafServerOnly rsaleaf "/CN=srv.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:srv.example.com' serverAuth)"
ok_ eku-server "serverAuth leaf for a server" leafServerOnly "intA" "rootA" "$AT" srv.example.com server
bad_ eku-server-as-client "serverAuth-only leaf used as a client" leafServerOnly "intA" "rootA" eku_mismatch "$AT" "" client
cert leafClientOnly rsaleaf "/CN=client-1" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:client-1.example.com' clientAuth digitalSignature)"
ok_ eku-client "clientAuth leaf for a client" leafClientOnly "intA" "rootA" "$AT" "" client
bad_ eku-client-as-server "clientAuth-only leaf used as a server" leafClientOnly "intA" "rootA" eku_mismatch
ok_ eku-both-client "serverAuth+clientAuth leaf used as a client" leafA "intA" "rootA" "$AT" "" client
cert leafAnyEku rsaleaf "/CN=any.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:any.example.com' anyExtendedKeyUsage)"
ok_ eku-any "anyExtendedKeyUsage" leafAnyEku "intA" "rootA" "$AT" any.example.com
cert leafNoEku rsaleaf "/CN=noeku.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:noeku.example.com'
ok_ eku-absent "no EKU extension: any usage" leafNoEku "intA" "rootA" "$AT" noeku.example.com
ok_ eku-absent-client "no EKU extension, used as a client" leafNoEku "intA" "rootA" "$AT" "" client
cert leafCodeSign rsaleaf "/CN=code.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:code.example.com' codeSigning digitalSignature)"
bad_ eku-code-signing "codeSigning-only leaf" leafCodeSign "intA" "rootA" eku_mismatch
cert intClientEku ekuint1 "/O=EdgeCA Corpus/CN=Client-only CA" rootA $INT_START $INT_END <<< "$CA_EXT
extendedKeyUsage = clientAuth"
cert leafUnderClientCa rsaleaf "/CN=nested.example.com" intClientEku $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:nested.example.com' serverAuth)"
bad_ eku-nested "serverAuth leaf under a clientAuth-only CA (Go EKU nesting)" leafUnderClientCa "intClientEku" "rootA" eku_mismatch
cert intServerEku ekuint2 "/O=EdgeCA Corpus/CN=Server-only CA" rootA $INT_START $INT_END <<< "$CA_EXT
extendedKeyUsage = serverAuth"
cert leafUnderServerCa rsaleaf "/CN=nested2.example.com" intServerEku $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:nested2.example.com' serverAuth)"
ok_ eku-nested-ok "serverAuth leaf under a serverAuth CA" leafUnderServerCa "intServerEku" "rootA" "$AT" nested2.example.com

# ---------------------------------------------------------------- keyUsage vs key type
cert ecLeafKeOnly ecleaf "/CN=ecke.example.com" ecRoot256 $LEAF_START $LEAF_END <<< "$(ec_leaf_ext 'DNS:ecke.example.com' serverAuth keyEncipherment)"
F=key_usage_invalid ok_ ku-ecdsa-ke-only "ECDSA leaf with keyEncipherment only: Go ignores keyUsage; it cannot sign a TLS handshake" ecLeafKeOnly "" "ecRoot256"
cert ecLeafKa ecleaf "/CN=ecka.example.com" ecRoot256 $LEAF_START $LEAF_END <<< "$(ec_leaf_ext 'DNS:ecka.example.com' serverAuth keyAgreement)"
F=key_usage_invalid ok_ ku-ecdsa-ka-only "ECDSA leaf with keyAgreement only (Go ignores keyUsage)" ecLeafKa "" "ecRoot256"
cert rsaLeafKe rsaleaf "/CN=rsake.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:rsake.example.com' serverAuth,clientAuth keyEncipherment)"
ok_ ku-rsa-ke-server "RSA server with keyEncipherment only (TLS 1.2 RSA key exchange)" rsaLeafKe "intA" "rootA" "$AT" rsake.example.com
F=key_usage_invalid ok_ ku-rsa-ke-client "RSA client with keyEncipherment only cannot sign CertificateVerify (Go ignores keyUsage)" rsaLeafKe "intA" "rootA" "$AT" "" client
cert rsaLeafKa rsaleaf "/CN=rsaka.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:rsaka.example.com' serverAuth dataEncipherment)"
F=key_usage_invalid ok_ ku-rsa-data-enc "RSA server with dataEncipherment only (Go ignores keyUsage)" rsaLeafKa "intA" "rootA"
ok_ ku-ecdsa-ds "ECDSA leaf with digitalSignature" ecLeaf256 "" "ecRoot256" "$AT" "" client

# ---------------------------------------------------------------- name constraints (RFC 5280 §4.2.1.10)
nc_int() { # nc_int NAME KEY CONSTRAINTS
  cert "$1" "$2" "/O=EdgeCA Corpus/CN=Constrained $1" rootA $INT_START $INT_END <<< "$CA_EXT
nameConstraints = critical,$3"
}
nc_leaf() { cert "$1" rsaleaf "/CN=nc" "$2" $LEAF_START $LEAF_END <<< "$(leaf_ext "$3")"; }
nc_int ncDns nc1 "permitted;DNS:example.com"
nc_leaf ncLeafOk ncDns "DNS:a.example.com"
ok_ nc-dns-permitted "DNS name inside a permitted subtree" ncLeafOk "ncDns" "rootA" "$AT" a.example.com
nc_leaf ncLeafApex ncDns "DNS:example.com"
ok_ nc-dns-permitted-apex "the constraint name itself is inside the subtree" ncLeafApex "ncDns" "rootA"
nc_leaf ncLeafEvil ncDns "DNS:evil.com"
bad_ nc-dns-outside "DNS name outside the permitted subtree" ncLeafEvil "ncDns" "rootA" name_constraint_violation
nc_leaf ncLeafSuffix ncDns "DNS:badexample.com"
bad_ nc-dns-label-boundary "permitted example.com does not cover badexample.com" ncLeafSuffix "ncDns" "rootA" name_constraint_violation
nc_leaf ncLeafMixed ncDns "DNS:a.example.com,DNS:b.example.org"
bad_ nc-dns-one-of-two "one SAN of two outside the permitted subtree" ncLeafMixed "ncDns" "rootA" name_constraint_violation
nc_leaf ncLeafIpOnlyDns ncDns "DNS:a.example.com,IP:192.0.2.1"
ok_ nc-dns-only-ip-free "DNS-only constraints leave IP SANs unconstrained" ncLeafIpOnlyDns "ncDns" "rootA"
nc_int ncDot nc2 "permitted;DNS:.example.com"
nc_leaf ncDotSub ncDot "DNS:a.example.com"
ok_ nc-dns-leading-dot "leading-dot constraint covers subdomains" ncDotSub "ncDot" "rootA"
nc_leaf ncDotApex ncDot "DNS:example.com"
bad_ nc-dns-leading-dot-apex "leading-dot constraint does not cover the apex" ncDotApex "ncDot" "rootA" name_constraint_violation
nc_int ncExcl nc3 "excluded;DNS:secret.example.com"
nc_leaf ncExclHit ncExcl "DNS:db.secret.example.com"
bad_ nc-dns-excluded "DNS name inside an excluded subtree" ncExclHit "ncExcl" "rootA" name_constraint_violation
nc_leaf ncExclMiss ncExcl "DNS:public.example.com"
ok_ nc-dns-excluded-other "DNS name outside the excluded subtree" ncExclMiss "ncExcl" "rootA"
nc_int ncIp nc4 "permitted;IP:10.0.0.0/255.0.0.0"
nc_leaf ncIpIn ncIp "DNS:ip.example.com,IP:10.1.2.3"
ok_ nc-ip-permitted "IPv4 address inside a permitted /8" ncIpIn "ncIp" "rootA" "$AT" 10.1.2.3
nc_leaf ncIpOut ncIp "DNS:ip.example.com,IP:192.168.1.1"
bad_ nc-ip-outside "IPv4 address outside the permitted /8" ncIpOut "ncIp" "rootA" name_constraint_violation
nc_leaf ncIpV6 ncIp "DNS:ip.example.com,IP:2001:db8::1"
bad_ nc-ip-family "IPv6 address under IPv4-only permitted subtrees" ncIpV6 "ncIp" "rootA" name_constraint_violation
nc_int ncIpExcl nc5 "excluded;IP:10.0.0.0/255.0.0.0"
nc_leaf ncIpExclHit ncIpExcl "DNS:ip.example.com,IP:10.9.9.9"
bad_ nc-ip-excluded "IPv4 address inside an excluded subtree" ncIpExclHit "ncIpExcl" "rootA" name_constraint_violation
nc_int ncIp6 nc6 "permitted;IP:2001:db8::/ffff:ffff::"
nc_leaf ncIp6In ncIp6 "IP:2001:db8::5"
ok_ nc-ipv6-permitted "IPv6 address inside a permitted /32" ncIp6In "ncIp6" "rootA" "$AT" 2001:db8::5
nc_leaf ncIp6Out ncIp6 "IP:2001:db9::5"
bad_ nc-ipv6-outside "IPv6 address outside the permitted /32" ncIp6Out "ncIp6" "rootA" name_constraint_violation
cert ncRoot ncR "/O=EdgeCA Corpus/CN=Constrained Root" self $CA_START $CA_END <<< "$CA_EXT
nameConstraints = critical,permitted;DNS:mesh.example.com"
cert ncRootInt nc7 "/O=EdgeCA Corpus/CN=Under Constrained Root" ncRoot $INT_START $INT_END <<< "$CA_EXT"
cert ncRootLeafOk rsaleaf "/CN=nc" ncRootInt $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:cp.mesh.example.com')"
ok_ nc-root-permitted "root constraint, two levels down, inside" ncRootLeafOk "ncRootInt" "ncRoot" "$AT" cp.mesh.example.com
cert ncRootLeafBad rsaleaf "/CN=nc" ncRootInt $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:cp.other.example.com')"
bad_ nc-root-violation "root constraint, two levels down, outside" ncRootLeafBad "ncRootInt" "ncRoot" name_constraint_violation
cert ncIntBad nc8 "/O=EdgeCA Corpus/CN=Int Outside" ncRoot $INT_START $INT_END <<< "$CA_EXT
subjectAltName = DNS:ca.elsewhere.example.org"
cert ncIntBadLeaf rsaleaf "/CN=nc" ncIntBad $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:x.mesh.example.com')"
ok_ nc-int-san-violation "an intermediate's own SAN outside the root's constraint: Go checks only the leaf and the constrained CA" ncIntBadLeaf "ncIntBad" "ncRoot"

# ---------------------------------------------------------------- extensions
cert leafUnknownCrit rsaleaf "/CN=crit.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:crit.example.com')
1.3.6.1.4.1.55555.1 = critical,ASN1:UTF8String:must understand"
bad_ ext-unknown-critical-leaf "unknown critical extension in the leaf" leafUnknownCrit "intA" "rootA" unhandled_critical_extension
cert leafUnknownNonCrit rsaleaf "/CN=noncrit.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:noncrit.example.com')
1.3.6.1.4.1.55555.1 = ASN1:UTF8String:may ignore"
ok_ ext-unknown-noncritical "unknown non-critical extension is ignored" leafUnknownNonCrit "intA" "rootA" "$AT" noncrit.example.com
cert intUnknownCrit intA "/O=EdgeCA Corpus/CN=Intermediate A" rootA $INT_START $INT_END <<< "$CA_EXT
1.3.6.1.4.1.55555.2 = critical,ASN1:NULL"
bad_ ext-unknown-critical-int "unknown critical extension in the intermediate" leafA "intUnknownCrit" "rootA" unhandled_critical_extension
cert leafPolicyCrit rsaleaf "/CN=pol.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:pol.example.com')
certificatePolicies = critical,2.23.140.1.2.1"
ok_ ext-critical-policies "critical certificatePolicies is understood" leafPolicyCrit "intA" "rootA"
cert leafBadKu rsaleaf "/CN=badku.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
2.5.29.15 = critical,DER:03:05:01
subjectAltName = DNS:badku.example.com'
bad_ ext-malformed-ku "keyUsage that is not a valid BIT STRING" leafBadKu "intA" "rootA" malformed_extension
cert intBadBc intA "/O=EdgeCA Corpus/CN=Intermediate A" rootA $INT_START $INT_END <<< '2.5.29.19 = critical,DER:30:03:01:01
keyUsage = critical,keyCertSign'
F=key_cert_sign_without_ca bad_ ext-malformed-bc "intermediate basicConstraints that do not decode" leafA "intBadBc" "rootA" malformed_extension
cert leafEmptySan rsaleaf "/CN=emptysan.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
2.5.29.17 = DER:30:00'
F=empty_san ok_ ext-empty-san "an empty non-critical subjectAltName (GeneralNames SIZE 1..MAX): Go ignores it" leafEmptySan "intA" "rootA"
# Duplicate extension and negative serial: re-sign a good certificate, keeping its dates.
# openssl x509 -CA only re-signs self-signed input, so start from a self-signed twin of the leaf.
cert negSrc rsaleaf "/CN=neg.example.com" self $LEAF_START 20350101000000Z <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = DNS:neg.example.com'
openssl x509 -in "$OUT/certs/negSrc.pem" -CA "$OUT/certs/intA.pem" -CAkey "$WORK/keys/intA.key" -preserve_dates -set_serial -4660 -out "$OUT/certs/leafNegSerial.pem"
rm "$OUT/certs/negSrc.pem"
bad_ serial-negative "negative serial number (RFC 5280 §4.1.2.2)" leafNegSerial "intA" "rootA" invalid_certificate
# Duplicate SAN: OpenSSL's config replaces a repeated extension, so splice a second copy into the TBS by hand.
dup_der() {
  local src="$OUT/certs/leafA.pem" d="$WORK/dup"; mkdir -p "$d"
  openssl x509 -in "$src" -outform DER -out "$d/cert.der"
  openssl asn1parse -inform DER -in "$d/cert.der" -strparse 4 -noout -out "$d/tbs.der"
  hexlen() { local n=$(( ${#1} / 2 )); if (( n < 128 )); then printf '%02x' $n; elif (( n < 256 )); then printf '81%02x' $n; else printf '82%04x' $n; fi; }
  tlv() { printf '%s%s%s' "$1" "$(hexlen "$2")" "$2"; }
  local tbs; tbs=$(xxd -p "$d/tbs.der" | tr -d '\n')
  # The SAN extension: SEQUENCE { OID 2.5.29.17, OCTET STRING ... }; find it in the TBS hex.
  local san; san=$(openssl asn1parse -inform DER -in "$d/tbs.der" | awk '/Subject Alternative Name/{print prev} {prev=$0}' | head -1)
  local off; off=$(printf '%s' "$san" | sed -E 's/^ *([0-9]+):.*/\1/')
  local hl; hl=$(printf '%s' "$san" | sed -E 's/.*hl= *([0-9]+).*/\1/')
  local l; l=$(printf '%s' "$san" | sed -E 's/.*l= *([0-9]+) cons.*/\1/')
  local ext=${tbs:$((off * 2)):$(((hl + l) * 2))}
  # Rebuild: the TBS children up to the extensions stay; the extensions SEQUENCE gets the SAN twice.
  local exts; exts=$(openssl asn1parse -inform DER -in "$d/tbs.der" | awk '/cont \[ 3 \]/{print; exit}')
  local eoff; eoff=$(printf '%s' "$exts" | sed -E 's/^ *([0-9]+):.*/\1/')
  local inner; inner=$(openssl asn1parse -inform DER -in "$d/tbs.der" | awk -v e="$eoff" '$1+0 > e+0 && /SEQUENCE/{print; exit}')
  local ioff; ioff=$(printf '%s' "$inner" | sed -E 's/^ *([0-9]+):.*/\1/')
  local ihl; ihl=$(printf '%s' "$inner" | sed -E 's/.*hl= *([0-9]+).*/\1/')
  local il; il=$(printf '%s' "$inner" | sed -E 's/.*l= *([0-9]+) cons.*/\1/')
  local body=${tbs:$(((ioff + ihl) * 2)):$((il * 2))}
  local thl; thl=$(openssl asn1parse -inform DER -in "$d/tbs.der" | head -1 | sed -E 's/.*hl= *([0-9]+).*/\1/')
  local head=${tbs:$((thl * 2)):$(((eoff - thl) * 2))}
  local newtbs; newtbs=$(tlv 30 "$head$(tlv a3 "$(tlv 30 "$body$ext")")")
  printf '%s' "$newtbs" | xxd -r -p > "$d/newtbs.der"
  openssl dgst -sha256 -sign "$WORK/keys/intA.key" -out "$d/sig.bin" "$d/newtbs.der"
  local sig; sig=$(xxd -p "$d/sig.bin" | tr -d '\n')
  local alg=300d06092a864886f70d01010b0500
  tlv 30 "$newtbs$alg$(tlv 03 "00$sig")" | xxd -r -p > "$d/new.der"
  openssl x509 -inform DER -in "$d/new.der" -out "$OUT/certs/leafDupSan.pem"
}
dup_der
bad_ ext-duplicate "the subjectAltName extension twice (RFC 5280 §4.2)" leafDupSan "intA" "rootA" duplicate_extension

# ---------------------------------------------------------------- self-signed leaves (kumactl generate tls-certificate)
# kumactl's certificates have an empty subject and issuer and are CAs used as end entities.
KUMA_F="empty_issuer empty_subject end_entity_is_ca"
kuma_ext() { # kuma_ext SAN EKU
  printf 'basicConstraints = critical,CA:TRUE\nkeyUsage = critical,digitalSignature,keyEncipherment,keyCertSign\nextendedKeyUsage = %s\nsubjectAltName = critical,%s\n' "$2" "$1"
}
cert kumaSelf kumaRsa "/" self 20250101000000Z 20350101000000Z <<< "$(kuma_ext 'DNS:cp.example.com,DNS:localhost,IP:10.0.0.5' serverAuth)"
F="$KUMA_F" ok_ kumactl-own-ca "kumactl-style self-signed server cert used as its own ca.crt (Go accepts)" kumaSelf "" "kumaSelf" "$AT" cp.example.com server leaf_is_trust_anchor
F="$KUMA_F" ok_ kumactl-own-ca-ip "kumactl-style cert, IP SAN" kumaSelf "" "kumaSelf" "$AT" 10.0.0.5
F="$KUMA_F" ok_ kumactl-own-ca-chain-dup "kumactl-style cert sent as chain and as root" kumaSelf "kumaSelf" "kumaSelf" "$AT" localhost
F="$KUMA_F" bad_ kumactl-own-ca-wrong-host "kumactl-style cert, wrong hostname" kumaSelf "" "kumaSelf" hostname_mismatch "$AT" other.example.com
F="$KUMA_F" bad_ kumactl-own-ca-client "kumactl-style server cert used as a client" kumaSelf "" "kumaSelf" eku_mismatch "$AT" "" client
F="$KUMA_F" bad_ kumactl-own-ca-expired "kumactl-style cert after its ten years" kumaSelf "" "kumaSelf" expired "2035-06-01T00:00:00Z"
F="$KUMA_F" bad_ kumactl-not-trusted "kumactl-style cert with another trust bundle" kumaSelf "" "rootA" self_signed_leaf "$AT" cp.example.com
F="$KUMA_F" bad_ kumactl-no-roots-but-chain "kumactl-style cert only in the chain, not trusted" kumaSelf "kumaSelf" "rootA" self_signed_leaf
cert kumaSelfEc kumaEc "/" self 20250101000000Z 20350101000000Z <<< "$(kuma_ext 'DNS:cp.example.com' serverAuth)"
F="$KUMA_F" ok_ kumactl-ecdsa-own-ca "kumactl --key-type ecdsa, own CA" kumaSelfEc "" "kumaSelfEc" "$AT" cp.example.com
cert kumaClient kumaRsa "/" self 20250101000000Z 20350101000000Z <<< "$(kuma_ext 'DNS:client.example.com' clientAuth)"
F="$KUMA_F" ok_ kumactl-client-own-ca "kumactl --type client, own CA, used as a client" kumaClient "" "kumaClient" "$AT" "" client
cert plainSelf selfRsa "/CN=plain.example.com" self 20250101000000Z 20260101000000Z <<< "$(leaf_ext 'DNS:plain.example.com' serverAuth)"
ok_ self-signed-ca-false-own-root "self-signed CA:FALSE leaf pinned as its own root (Go accepts)" plainSelf "" "plainSelf" "$AT" plain.example.com
bad_ self-signed-ca-false-untrusted "self-signed CA:FALSE leaf, not trusted" plainSelf "" "rootA" self_signed_leaf

# ---------------------------------------------------------------- RFC 5280 §4 profile findings (issue 16)
# Each defect below is one Go accepts: `go` valid with the finding as a warning, `strict` invalid.
for k in pf1 pf2 pf3 pf4 pf5 pf6 pf7 pf8 pf9 pf10 pf11 pf12; do key "$k" rsa2048; done
ca_ext_without() { # CA_EXT without the lines matching $1
  printf '%s\n' "$CA_EXT" | grep -v "$1"
}
LEAF_PLAIN='basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectKeyIdentifier = hash'

cert pfLeafNoAki rsaleaf "/CN=noaki.example.com" intA $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = none
subjectAltName = DNS:noaki.example.com"
F=aki_missing ok_ pf-aki-missing-leaf "leaf without authorityKeyIdentifier" pfLeafNoAki "intA" "rootA" "$AT" noaki.example.com
cert pfIntNoAki pf1 "/O=EdgeCA Corpus/CN=No AKI Intermediate" rootA $INT_START $INT_END <<< "$(ca_ext_without authorityKeyIdentifier)
authorityKeyIdentifier = none"
cert pfLeafUnderNoAki rsaleaf "/CN=intnoaki.example.com" pfIntNoAki $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:intnoaki.example.com')"
F=aki_missing ok_ pf-aki-missing-int "intermediate without authorityKeyIdentifier" pfLeafUnderNoAki "pfIntNoAki" "rootA"
cert pfLeafAkiCrit rsaleaf "/CN=akicrit.example.com" intA $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = critical,keyid
subjectAltName = DNS:akicrit.example.com"
F=aki_critical ok_ pf-aki-critical "critical authorityKeyIdentifier (MUST be non-critical)" pfLeafAkiCrit "intA" "rootA"
cert pfIntNoSki pf2 "/O=EdgeCA Corpus/CN=No SKI Intermediate" rootA $INT_START $INT_END <<< "$(ca_ext_without subjectKeyIdentifier)
subjectKeyIdentifier = none"
cert pfLeafUnderNoSki rsaleaf "/CN=intnoski.example.com" pfIntNoSki $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = issuer:always
subjectAltName = DNS:intnoski.example.com"
F=ski_missing ok_ pf-ski-missing-ca "CA certificate without subjectKeyIdentifier" pfLeafUnderNoSki "pfIntNoSki" "rootA"
cert pfLeafSkiCrit rsaleaf "/CN=skicrit.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
subjectKeyIdentifier = critical,hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:skicrit.example.com'
F=ski_critical ok_ pf-ski-critical "critical subjectKeyIdentifier (MUST be non-critical)" pfLeafSkiCrit "intA" "rootA"
cert pfIntBcNonCrit pf3 "/O=EdgeCA Corpus/CN=Non-critical BC" rootA $INT_START $INT_END <<< "${CA_EXT/critical,CA:TRUE/CA:TRUE}"
cert pfLeafUnderBcNonCrit rsaleaf "/CN=bcnc.example.com" pfIntBcNonCrit $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:bcnc.example.com')"
F=basic_constraints_not_critical ok_ pf-bc-not-critical-int "CA intermediate with non-critical basicConstraints" pfLeafUnderBcNonCrit "pfIntBcNonCrit" "rootA"
cert pfRootBcNonCrit pf4 "/O=EdgeCA Corpus/CN=Non-critical BC Root" self $CA_START $CA_END <<< "${CA_EXT/critical,CA:TRUE/CA:TRUE}"
cert pfLeafUnderRootBcNonCrit rsaleaf "/CN=rbcnc.example.com" pfRootBcNonCrit $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:rbcnc.example.com')"
F=basic_constraints_not_critical ok_ pf-bc-not-critical-root "root with non-critical basicConstraints" pfLeafUnderRootBcNonCrit "" "pfRootBcNonCrit"
cert pfIntNoKu pf5 "/O=EdgeCA Corpus/CN=No keyUsage CA" rootA $INT_START $INT_END <<< "$(ca_ext_without keyUsage)"
cert pfLeafUnderNoKu rsaleaf "/CN=noku.example.com" pfIntNoKu $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:noku.example.com')"
F=ca_key_usage_missing ok_ pf-ca-no-key-usage "CA intermediate without keyUsage (Go does not need it)" pfLeafUnderNoKu "pfIntNoKu" "rootA"
cert pfLeafPathLen rsaleaf "/CN=pl.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE,pathlen:0
keyUsage = critical,digitalSignature,keyEncipherment
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:pl.example.com'
F=path_len_invalid ok_ pf-pathlen-non-ca "pathLenConstraint in a CA:FALSE certificate" pfLeafPathLen "intA" "rootA"
cert pfLeafKcs rsaleaf "/CN=kcs.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:kcs.example.com' serverAuth digitalSignature,keyCertSign)"
F=key_cert_sign_without_ca ok_ pf-key-cert-sign-non-ca "end entity (CA:FALSE) asserting keyCertSign" pfLeafKcs "intA" "rootA" "$AT" kcs.example.com
# Divergence 1 of issue 16: a CA certificate as the end of the path, keyUsage keyCertSign only. Go ignores the leaf's keyUsage.
cert pfCaLeaf pf6 "/O=EdgeCA Corpus/CN=ca-leaf.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:ca-leaf.example.com'
F="end_entity_is_ca key_usage_invalid" ok_ pf-ca-as-leaf-key-cert-sign "CA certificate as the end of the path with keyUsage keyCertSign only (Go accepts)" pfCaLeaf "intA" "rootA" "$AT" ca-leaf.example.com
cert pfCaLeafDs pf6 "/O=EdgeCA Corpus/CN=ca-leaf2.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:TRUE,pathlen:0
keyUsage = critical,digitalSignature,keyEncipherment,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:ca-leaf2.example.com'
F=end_entity_is_ca ok_ pf-ca-as-leaf "CA certificate with digitalSignature as the end of the path" pfCaLeafDs "intA" "rootA" "$AT" ca-leaf2.example.com
cert pfCaLeafPl pf6 "/O=EdgeCA Corpus/CN=ca-leaf3.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:TRUE,pathlen:1
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:ca-leaf3.example.com'
F="end_entity_is_ca path_len_invalid" ok_ pf-pathlen-without-key-cert-sign "pathLenConstraint without keyCertSign" pfCaLeafPl "intA" "rootA"
cert pfRootEmpty pf7 "/" self $CA_START $CA_END <<< "$CA_EXT"
cert pfLeafUnderEmpty rsaleaf "/CN=empty-issuer.example.com" pfRootEmpty $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:empty-issuer.example.com')"
F="empty_issuer empty_subject" ok_ pf-empty-issuer "root with an empty subject, leaf with an empty issuer" pfLeafUnderEmpty "" "pfRootEmpty" "$AT" empty-issuer.example.com
cert pfIntEmpty pf8 "/" rootA $INT_START $INT_END <<< "$CA_EXT"
cert pfLeafUnderEmptyInt rsaleaf "/CN=empty-int.example.com" pfIntEmpty $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:empty-int.example.com')"
F="empty_issuer empty_subject" ok_ pf-empty-subject-ca "intermediate CA with an empty subject" pfLeafUnderEmptyInt "pfIntEmpty" "rootA"
cert pfLeafEmptyNoSan rsaleaf "/" intA $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = keyid"
F=empty_subject ok_ pf-empty-subject-no-san "leaf with an empty subject and no subjectAltName" pfLeafEmptyNoSan "intA" "rootA"
cert pfLeafEmptyNcSan rsaleaf "/" intA $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = keyid
subjectAltName = DNS:empty.example.com"
F=empty_subject_san_not_critical ok_ pf-empty-subject-san-not-critical "empty subject with a non-critical subjectAltName" pfLeafEmptyNcSan "intA" "rootA" "$AT" empty.example.com
cert pfLeafEmptyCritSan rsaleaf "/" intA $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = keyid
subjectAltName = critical,DNS:empty2.example.com"
ok_ pf-empty-subject-san-critical "empty subject with a critical subjectAltName: conforming" pfLeafEmptyCritSan "intA" "rootA" "$AT" empty2.example.com
cert pfLeafCritSanSubject rsaleaf "/CN=critsan.example.com" intA $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = keyid
subjectAltName = critical,DNS:critsan.example.com"
F=san_critical_with_subject ok_ pf-san-critical-with-subject "critical subjectAltName with a non-empty subject (SHOULD be non-critical)" pfLeafCritSanSubject "intA" "rootA" "$AT" critsan.example.com
cert pfLeafNc rsaleaf "/CN=nc-leaf.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:nc-leaf.example.com')
nameConstraints = critical,permitted;DNS:example.com"
F=name_constraints_in_end_entity ok_ pf-name-constraints-in-leaf "nameConstraints in an end entity (Go ignores it there)" pfLeafNc "intA" "rootA"
cert pfNcNonCritReal pf9 "/O=EdgeCA Corpus/CN=Non-critical NC" rootA $INT_START $INT_END <<< "$CA_EXT
nameConstraints = permitted;DNS:example.com"
cert pfLeafUnderNcNonCrit rsaleaf "/CN=ncnc" pfNcNonCritReal $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:a.example.com')"
F=name_constraints_not_critical ok_ pf-name-constraints-not-critical "non-critical nameConstraints (MUST be critical); still enforced" pfLeafUnderNcNonCrit "pfNcNonCritReal" "rootA"
cert pfLeafUnderNcNonCritBad rsaleaf "/CN=ncnc" pfNcNonCritReal $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:a.example.org')"
F=name_constraints_not_critical bad_ pf-name-constraints-not-critical-violation "non-critical nameConstraints are enforced by Go too" pfLeafUnderNcNonCritBad "pfNcNonCritReal" "rootA" name_constraint_violation
cert pfRootAkiIssuer pf10 "/O=EdgeCA Corpus/CN=AKI issuer serial Root" self $CA_START $CA_END <<< "${CA_EXT/keyid:always/keyid:always,issuer:always}"
cert pfLeafUnderAkiIssuer rsaleaf "/CN=akiis.example.com" pfRootAkiIssuer $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:akiis.example.com')"
F=self_signed_aki_invalid ok_ pf-root-aki-issuer-serial "root whose authorityKeyIdentifier names an issuer and serial" pfLeafUnderAkiIssuer "" "pfRootAkiIssuer"
cert pfRootAkiOther pf11 "/O=EdgeCA Corpus/CN=AKI mismatch Root" self $CA_START $CA_END <<< "$(ca_ext_without authorityKeyIdentifier)
2.5.29.35 = DER:30:06:80:04:01:02:03:04"
cert pfLeafUnderAkiOther rsaleaf "/CN=akimm.example.com" pfRootAkiOther $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:akimm.example.com')"
F=self_signed_aki_invalid ok_ pf-root-aki-mismatch "root whose authorityKeyIdentifier keyIdentifier is not its subjectKeyIdentifier" pfLeafUnderAkiOther "" "pfRootAkiOther"
cert pfRootNoSki pf12 "/O=EdgeCA Corpus/CN=No SKI Root" self $CA_START $CA_END <<< "$(ca_ext_without 'KeyIdentifier')
subjectKeyIdentifier = none
authorityKeyIdentifier = none"
cert pfLeafUnderRootNoSki rsaleaf "/CN=rnoski.example.com" pfRootNoSki $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = none
subjectAltName = DNS:rnoski.example.com"
F="ski_missing aki_missing" ok_ pf-root-no-ski "root without subjectKeyIdentifier, leaf without authorityKeyIdentifier" pfLeafUnderRootNoSki "" "pfRootNoSki"

# Extension bodies Go tolerates (RFC 5280 §4.2 / X.690 DER).
cert pfLeafKuTrailing rsaleaf "/CN=kutrail.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
2.5.29.15 = critical,DER:03:02:05:a0:00
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:kutrail.example.com'
F=extension_body_invalid ok_ pf-critical-ku-trailing-bytes "critical keyUsage with a byte after the BIT STRING (Go reads the first element)" pfLeafKuTrailing "intA" "rootA"
cert pfLeafKuEmpty rsaleaf "/CN=kuempty.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
2.5.29.15 = critical,DER:03:01:00
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:kuempty.example.com'
F="extension_body_invalid key_usage_invalid" ok_ pf-critical-ku-no-bits "critical keyUsage with no bit set" pfLeafKuEmpty "intA" "rootA"
cert pfLeafEkuEmpty2 rsaleaf "/CN=ekuempty.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
2.5.29.37 = DER:30:00
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
subjectAltName = DNS:ekuempty.example.com'
F=extension_body_invalid ok_ pf-eku-empty "empty extendedKeyUsage SEQUENCE (Go reads it as no EKU)" pfLeafEkuEmpty2 "intA" "rootA" "$AT" "" client
cert pfIntBcTrailing intA "/O=EdgeCA Corpus/CN=Intermediate A" rootA $INT_START $INT_END <<< '2.5.29.19 = critical,DER:30:03:01:01:ff:00
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always'
F=extension_body_invalid ok_ pf-critical-bc-trailing-bytes "critical basicConstraints with a byte after the SEQUENCE" leafA "pfIntBcTrailing" "rootA"
cert pfIntBcExtra intA "/O=EdgeCA Corpus/CN=Intermediate A" rootA $INT_START $INT_END <<< '2.5.29.19 = critical,DER:30:06:01:01:ff:04:01:00
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always'
F=extension_body_invalid ok_ pf-critical-bc-extra-element "critical basicConstraints with an unexpected element (Go ignores it)" leafA "pfIntBcExtra" "rootA"
cert pfIntKuZero intA "/O=EdgeCA Corpus/CN=Intermediate A" rootA $INT_START $INT_END <<< 'basicConstraints = critical,CA:TRUE
2.5.29.15 = critical,DER:03:01:00
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always'
F=extension_body_invalid ok_ pf-int-ku-no-bits "intermediate keyUsage with no bit: Go treats it as absent" leafA "pfIntKuZero" "rootA"

# DNS names (RFC 5280 §4.2.1.6 preferred name syntax) and Go's VerifyHostname.
cert hostDotSan rsaleaf "/CN=dot.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:cp.example.com.')"
# Divergence 2 of issue 16: Go does not treat "cp.example.com." as a valid pattern, so it only matches byte for byte.
F=dns_name_malformed bad_ host-san-trailing-dot "dNSName SAN with a trailing dot does not match the relative name (Go)" hostDotSan "intA" "rootA" hostname_mismatch "$AT" cp.example.com
F=dns_name_malformed ok_ host-san-trailing-dot-exact "dNSName SAN with a trailing dot matches the same absolute name exactly" hostDotSan "intA" "rootA" "$AT" cp.example.com.
cert hostUnderscore rsaleaf "/CN=us.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:_svc.us_east.example.com')"
F=dns_name_malformed ok_ host-underscore "underscores: not preferred name syntax, but Go matches them" hostUnderscore "intA" "rootA" "$AT" _svc.us_east.example.com
cert hostStar rsaleaf "/CN=star" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:*')"
F=dns_name_malformed ok_ host-bare-star "a bare * SAN matches any one-label name in Go" hostStar "intA" "rootA" "$AT" localhost
F=dns_name_malformed bad_ host-bare-star-two-labels "a bare * SAN does not match two labels" hostStar "intA" "rootA" hostname_mismatch "$AT" a.b
cert hostUpper rsaleaf "/CN=upper" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:CP.EXAMPLE.COM')"
ok_ host-san-uppercase "upper-case SAN matched case-insensitively" hostUpper "intA" "rootA" "$AT" cp.example.com
cert hostExact rsaleaf "/CN=exact" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:-odd-.example.com')"
F=dns_name_malformed ok_ host-invalid-exact "an invalid reference still matches a SAN spelled exactly like it (Go matchExactly)" hostExact "intA" "rootA" "$AT" -odd-.example.com
F=dns_name_malformed bad_ host-invalid-not-exact "an invalid reference that no SAN spells exactly" hostExact "intA" "rootA" invalid_hostname "$AT" -odd-.example.org
ok_ host-wildcard-reference "a wildcard reference matches the same SAN text exactly" leafWild "intA" "rootA" "$AT" "*.mesh.example.com"
ok_ host-wildcard-trailing-dot "wildcard SAN against an absolute reference" leafWild "intA" "rootA" "$AT" zone1.mesh.example.com.
ok_ host-ipv4-brackets "bracketed IPv4 literal (Go strips brackets)" leafA "intA" "rootA" "$AT" "[10.1.2.3]"
cert hostMapped rsaleaf "/CN=mapped" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:mapped.example.com,IP:::ffff:10.7.7.7')"
ok_ host-mapped-san "IPv4-mapped iPAddress SAN (16 octets) matches the IPv4 literal" hostMapped "intA" "rootA" "$AT" 10.7.7.7

# Name constraints as Go applies them.
nc_leaf ncDotSanLeaf ncDns "DNS:a.example.com."
F=dns_name_malformed bad_ nc-san-trailing-dot "trailing-dot DNS SAN under name constraints: Go cannot parse it" ncDotSanLeaf "ncDns" "rootA" name_constraint_violation
nc_leaf ncUnderscoreLeaf ncDns "DNS:a_b.example.com"
F=dns_name_malformed ok_ nc-san-underscore "malformed (underscore) DNS SAN that Go parses under name constraints" ncUnderscoreLeaf "ncDns" "rootA"
nc_leaf ncWildLeaf ncDns "DNS:*.example.com"
ok_ nc-wildcard-permitted "wildcard SAN inside a permitted subtree" ncWildLeaf "ncDns" "rootA"
nc_leaf ncWildExcl ncExcl "DNS:*.secret.example.com"
bad_ nc-wildcard-excluded "wildcard SAN inside an excluded subtree" ncWildExcl "ncExcl" "rootA" name_constraint_violation
cert ncCnOnlyLeaf rsaleaf "/CN=evil.com" ncDns $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = keyid"
ok_ nc-cn-only "leaf without SAN under DNS constraints: Go checks SANs only" ncCnOnlyLeaf "ncDns" "rootA" "$AT" "" server cn_only_name
cert ncOwnSanBad nc9 "/O=EdgeCA Corpus/CN=Own SAN outside" rootA $INT_START $INT_END <<< "$CA_EXT
nameConstraints = critical,permitted;DNS:example.com
subjectAltName = DNS:ca.example.org"
nc_leaf ncOwnSanLeaf ncOwnSanBad "DNS:a.example.com"
bad_ nc-own-san-violation "a constrained CA's own SAN outside its constraint (Go checks it)" ncOwnSanLeaf "ncOwnSanBad" "rootA" name_constraint_violation
cert ncDirCrit nc9 "/O=EdgeCA Corpus/CN=DirName NC" rootA $INT_START $INT_END <<< "$CA_EXT
nameConstraints = critical,permitted;dirName:nc_dir
[nc_dir]
O = EdgeCA Corpus"
nc_leaf ncDirLeaf ncDirCrit "DNS:a.example.com"
bad_ nc-dirname-critical "critical directoryName constraints: Go does not handle them and refuses" ncDirLeaf "ncDirCrit" "rootA" unhandled_critical_extension
cert ncDirNonCrit nc9 "/O=EdgeCA Corpus/CN=DirName NC" rootA $INT_START $INT_END <<< "$CA_EXT
nameConstraints = permitted;dirName:nc_dir
[nc_dir]
O = EdgeCA Corpus"
nc_leaf ncDirLeaf2 ncDirNonCrit "DNS:a.example.com"
F=name_constraints_not_critical ok_ nc-dirname-non-critical "non-critical directoryName constraints: Go ignores them" ncDirLeaf2 "ncDirNonCrit" "rootA" "$AT" "" server name_constraints_not_checked
nc_int ncEmail nc9 "permitted;email:example.com"
nc_leaf ncEmailDnsLeaf ncEmail "DNS:a.example.org"
ok_ nc-email-only-dns-leaf "email constraints leave DNS names free" ncEmailDnsLeaf "ncEmail" "rootA"
nc_leaf ncEmailIn ncEmail "DNS:a.example.org,email:ops@example.com"
ok_ nc-email-permitted "email SAN inside a permitted rfc822Name domain (Go enforces email constraints)" ncEmailIn "ncEmail" "rootA"
nc_leaf ncEmailSub ncEmail "DNS:a.example.org,email:ops@eu.example.com"
ok_ nc-email-subdomain "Go matches an email domain constraint like a DNS one: subdomains too" ncEmailSub "ncEmail" "rootA"
nc_leaf ncEmailOut ncEmail "DNS:a.example.org,email:ops@example.org"
bad_ nc-email-outside "email SAN outside the permitted rfc822Name domain" ncEmailOut "ncEmail" "rootA" name_constraint_violation
nc_int ncMailbox nc9 "permitted;email:ops@example.com"
nc_leaf ncMailboxOther ncMailbox "DNS:a.example.org,email:dev@example.com"
bad_ nc-email-mailbox "a mailbox constraint permits that mailbox only" ncMailboxOther "ncMailbox" "rootA" name_constraint_violation
nc_int ncUri nc9 "permitted;URI:mesh.example.com"
nc_leaf ncUriIn ncUri "DNS:a.example.org,URI:spiffe://mesh.example.com/ns/default/sa/cp"
ok_ nc-uri-permitted "SPIFFE URI SAN whose host is inside a permitted URI constraint" ncUriIn "ncUri" "rootA"
nc_leaf ncUriOut ncUri "DNS:a.example.org,URI:spiffe://other.example.org/ns/default/sa/cp"
bad_ nc-uri-outside "URI SAN whose host is outside the permitted URI constraint" ncUriOut "ncUri" "rootA" name_constraint_violation
nc_leaf ncUriIp ncUri "DNS:a.example.org,URI:https://10.0.0.1/"
bad_ nc-uri-ip-host "URI SAN with an IP host under URI constraints: Go cannot match it" ncUriIp "ncUri" "rootA" name_constraint_violation
nc_leaf ncDnsWithEmail ncDns "DNS:a.example.com,email:ops@elsewhere.org"
ok_ nc-dns-only-email-free "DNS constraints leave email SANs unconstrained" ncDnsWithEmail "ncDns" "rootA"
cert ncBadMask nc9 "/O=EdgeCA Corpus/CN=Bad mask" rootA $INT_START $INT_END <<< "$CA_EXT
2.5.29.30 = critical,DER:30:0c:a0:0a:30:08:87:06:0a:00:00:00:ff:00"
nc_leaf ncBadMaskLeaf ncBadMask "DNS:x.example.com"
bad_ nc-ip-bad-length "an iPAddress constraint of 6 octets: Go refuses to parse the CA" ncBadMaskLeaf "ncBadMask" "rootA" malformed_extension
cert ncNonContig nc9 "/O=EdgeCA Corpus/CN=Non-contiguous mask" rootA $INT_START $INT_END <<< "$CA_EXT
2.5.29.30 = critical,DER:30:0e:a0:0c:30:0a:87:08:0a:00:00:00:ff:00:ff:00"
nc_leaf ncNonContigLeaf ncNonContig "DNS:x.example.com"
bad_ nc-ip-non-contiguous-mask "an iPAddress constraint with a non-contiguous mask: Go refuses to parse it" ncNonContigLeaf "ncNonContig" "rootA" malformed_extension

# Go behaviour on issuers and extensions.
cert rootNoBc pf12 "/O=EdgeCA Corpus/CN=Root without BC" self $CA_START $CA_END <<< 'keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash'
cert leafUnderRootNoBc rsaleaf "/CN=rnobc.example.com" rootNoBc $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:rnobc.example.com')"
F=key_cert_sign_without_ca bad_ root-no-bc "v3 root without basicConstraints: Go's CheckSignatureFrom refuses it" leafUnderRootNoBc "" "rootNoBc" issuer_not_ca
cert rootCaFalse pf12 "/O=EdgeCA Corpus/CN=Root CA FALSE" self $CA_START $CA_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash'
cert leafUnderRootCaFalse rsaleaf "/CN=rcaf.example.com" rootCaFalse $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:rcaf.example.com')"
bad_ root-ca-false "root with CA:FALSE" leafUnderRootCaFalse "" "rootCaFalse" issuer_not_ca
cert rootNoKcs pf12 "/O=EdgeCA Corpus/CN=Root no keyCertSign" self $CA_START $CA_END <<< 'basicConstraints = critical,CA:TRUE
keyUsage = critical,digitalSignature,cRLSign
subjectKeyIdentifier = hash'
cert leafUnderRootNoKcs rsaleaf "/CN=rnokcs.example.com" rootNoKcs $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:rnokcs.example.com')"
bad_ root-no-key-cert-sign "root keyUsage without keyCertSign: Go's CheckSignatureFrom refuses it" leafUnderRootNoKcs "" "rootNoKcs" issuer_missing_key_cert_sign
cert rootUnknownCrit pf12 "/O=EdgeCA Corpus/CN=Root unknown critical" self $CA_START $CA_END <<< "$CA_EXT
1.3.6.1.4.1.55555.3 = critical,ASN1:NULL"
cert leafUnderRootUnknownCrit rsaleaf "/CN=ruc.example.com" rootUnknownCrit $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:ruc.example.com')"
bad_ root-unknown-critical "unknown critical extension in the root (Go checks roots too)" leafUnderRootUnknownCrit "" "rootUnknownCrit" unhandled_critical_extension
cert leafIanCrit rsaleaf "/CN=ian.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:ian.example.com')
issuerAltName = critical,DNS:ca.example.com"
bad_ ext-critical-issuer-alt-name "critical issuerAltName: Go does not process it" leafIanCrit "intA" "rootA" unhandled_critical_extension
cert leafIan rsaleaf "/CN=ian2.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:ian2.example.com')
issuerAltName = DNS:ca.example.com"
ok_ ext-issuer-alt-name "non-critical issuerAltName is ignored" leafIan "intA" "rootA"
cert leafEmptySanCrit rsaleaf "/CN=emptysan2.example.com" intA $LEAF_START $LEAF_END <<< 'basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
2.5.29.17 = critical,DER:30:00'
F="empty_san san_critical_with_subject" bad_ ext-empty-san-critical "an empty critical subjectAltName: Go treats it as unhandled" leafEmptySanCrit "intA" "rootA" unhandled_critical_extension
cert leafDirSanCrit rsaleaf "/" intA $LEAF_START $LEAF_END <<< "$LEAF_PLAIN
authorityKeyIdentifier = keyid
subjectAltName = critical,dirName:san_dir
[san_dir]
CN = only a directory name"
bad_ ext-critical-san-dirname-only "critical SAN holding only a directoryName: Go treats it as unhandled" leafDirSanCrit "intA" "rootA" unhandled_critical_extension
cert leafV1 rsaleaf "/CN=v1leaf.example.com" intA $LEAF_START $LEAF_END <<< ""
ok_ leaf-v1 "version 1 leaf under a v3 CA: no EKU means any usage" leafV1 "intA" "rootA" "$AT" "" server cn_only_name
cert rootEkuClient pf12 "/O=EdgeCA Corpus/CN=Root clientAuth only" self $CA_START $CA_END <<< "$CA_EXT
extendedKeyUsage = clientAuth"
cert intUnderEkuRoot pf11 "/O=EdgeCA Corpus/CN=Int under clientAuth root" rootEkuClient $INT_START $INT_END <<< "$CA_EXT"
cert leafUnderEkuRoot rsaleaf "/CN=ekuroot.example.com" intUnderEkuRoot $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:ekuroot.example.com' serverAuth)"
bad_ eku-root-restricts "a clientAuth-only root restricts a serverAuth leaf two levels down (Go)" leafUnderEkuRoot "intUnderEkuRoot" "rootEkuClient" eku_mismatch
cert leafClientUnderEkuRoot rsaleaf "/CN=ekuroot-client" intUnderEkuRoot $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:ekuroot-client.example.com' clientAuth digitalSignature)"
ok_ eku-root-restricts-client "a clientAuth leaf under the clientAuth-only root, used as a client" leafClientUnderEkuRoot "intUnderEkuRoot" "rootEkuClient" "$AT" "" client
cert leafEkuUnknown rsaleaf "/CN=ekuunk.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:ekuunk.example.com' 1.3.6.1.4.1.55555.9)"
bad_ eku-unknown-only "leaf whose only EKU is an unknown purpose" leafEkuUnknown "intA" "rootA" eku_mismatch
cert leafEkuMixed rsaleaf "/CN=ekumix.example.com" intA $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:ekumix.example.com' serverAuth,1.3.6.1.4.1.55555.9)"
ok_ eku-server-and-unknown "serverAuth beside an unknown purpose" leafEkuMixed "intA" "rootA" "$AT" ekumix.example.com
cert intAnyEku pf10 "/O=EdgeCA Corpus/CN=Any EKU CA" rootA $INT_START $INT_END <<< "$CA_EXT
extendedKeyUsage = anyExtendedKeyUsage"
cert leafUnderAnyEku rsaleaf "/CN=anyca.example.com" intAnyEku $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:anyca.example.com' clientAuth digitalSignature)"
ok_ eku-ca-any "a CA with anyExtendedKeyUsage does not restrict" leafUnderAnyEku "intAnyEku" "rootA" "$AT" "" client
cert intPathLen1 pf9 "/O=EdgeCA Corpus/CN=Pathlen 1 Int" rootA $INT_START $INT_END <<< "${CA_EXT/CA:TRUE/CA:TRUE,pathlen:1}"
cert intBelowPl1 pf8 "/O=EdgeCA Corpus/CN=Below pathlen 1" intPathLen1 $INT_START $INT_END <<< "$CA_EXT"
cert leafBelowPl1 rsaleaf "/CN=pl1b.example.com" intBelowPl1 $LEAF_START $LEAF_END <<< "$(leaf_ext 'DNS:pl1b.example.com')"
ok_ pathlen-int-1-one-below "intermediate pathlen:1 with one CA below it" leafBelowPl1 "intPathLen1 intBelowPl1" "rootA"

# ---------------------------------------------------------------- manifest
{
  printf '{\n  "generator": "test/corpus/verify/generate.sh",\n  "openssl": "%s",\n  "cases": [\n' "$(openssl version)"
  sed '$!s/$/,/; s/^/    /' "$CASES"
  printf '  ]\n}\n'
} > "$OUT/cases.json"
echo "wrote $(wc -l < "$CASES") cases to $OUT/cases.json"
