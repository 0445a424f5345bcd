#!/usr/bin/env python3
"""Verify DPoP proofs with an implementation independent of dpopfleet.

Usage: crosscheck_proofs.py FILE   (one compact proof per line)

Every proof is checked with python3-cryptography against the "jwk" of its own header;
the first three are also checked with the OpenSSL command line (`openssl dgst -verify`),
after converting the raw R||S signature to DER and the JWK to a PEM public key.
Exit status: 0 all verified, 1 a proof failed, 77 python3-cryptography is missing.
"""

import base64
import json
import os
import subprocess
import sys
import tempfile

try:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
except ImportError:
    print("python3-cryptography is not installed; install it with tools/setup.sh")
    sys.exit(77)

OPENSSL_CHECKS = 3


def b64url_decode(text):
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def public_key_from_jwk(jwk):
    if jwk.get("kty") != "EC" or jwk.get("crv") != "P-256" or "d" in jwk:
        raise ValueError("header jwk is not a public P-256 key: %r" % sorted(jwk))
    x = int.from_bytes(b64url_decode(jwk["x"]), "big")
    y = int.from_bytes(b64url_decode(jwk["y"]), "big")
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


def check_with_openssl_cli(public_key, signing_input, der_signature, workdir):
    pem = public_key.public_bytes(serialization.Encoding.PEM,
                                  serialization.PublicFormat.SubjectPublicKeyInfo)
    paths = {name: os.path.join(workdir, name) for name in ("key.pem", "sig.der", "input")}
    for name, data in (("key.pem", pem), ("sig.der", der_signature), ("input", signing_input)):
        with open(paths[name], "wb") as f:
            f.write(data)
    result = subprocess.run(["openssl", "dgst", "-sha256", "-verify", paths["key.pem"],
                             "-signature", paths["sig.der"], paths["input"]],
                            capture_output=True, text=True, check=False)
    return result.returncode == 0 and "Verified OK" in result.stdout


def main():
    with open(sys.argv[1], encoding="ascii") as f:
        proofs = [line.strip() for line in f if line.strip()]

    with tempfile.TemporaryDirectory() as workdir:
        for index, proof in enumerate(proofs):
            header_b64, payload_b64, signature_b64 = proof.split(".")
            header = json.loads(b64url_decode(header_b64))
            if header.get("typ") != "dpop+jwt" or header.get("alg") != "ES256":
                print("proof %d: unexpected header %r" % (index, header))
                return 1
            json.loads(b64url_decode(payload_b64))

            raw = b64url_decode(signature_b64)
            if len(raw) != 64:
                print("proof %d: signature is %d bytes, not 64" % (index, len(raw)))
                return 1
            der = encode_dss_signature(int.from_bytes(raw[:32], "big"),
                                       int.from_bytes(raw[32:], "big"))
            signing_input = (header_b64 + "." + payload_b64).encode("ascii")
            public_key = public_key_from_jwk(header["jwk"])
            try:
                public_key.verify(der, signing_input, ec.ECDSA(hashes.SHA256()))
            except InvalidSignature:
                print("proof %d: python3-cryptography rejects the signature" % index)
                return 1
            if index < OPENSSL_CHECKS and not check_with_openssl_cli(
                    public_key, signing_input, der, workdir):
                print("proof %d: `openssl dgst -verify` rejects the signature" % index)
                return 1

    print("verified %d proofs" % len(proofs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
