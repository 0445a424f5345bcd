#!/usr/bin/python3
"""Measures how fast PyJWT with cryptography builds the DPoP proof dpopfleet builds.

The proof is ES256 with header {"typ":"dpop+jwt","alg":"ES256","jwk":...} and a payload of
jti, htm, htu, iat and optionally ath. Runs single-threaded; pin it with taskset to compare
with a one-core dpopfleet run. Uses Debian's python3-jwt and python3-cryptography, so run it
with /usr/bin/python3.

Usage: pyjwt_proof.py [seconds per case]
Output: one JSON object per line: {"impl","case","proofs","seconds","proofs_per_second",
"cpu_seconds","proofs_per_cpu_second"}; the CPU-time rate stays comparable under load.
"""

import base64
import hashlib
import json
import secrets
import sys
import time

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

HTM = "POST"
HTU = "https://127.0.0.1:8443/realms/default/token"
ACCESS_TOKEN = "Kz~8mXK1EalYznwH-LC-1fBAo.4Ljp~zsPE_NeO.gxU"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


ATH = b64url(hashlib.sha256(ACCESS_TOKEN.encode("ascii")).digest())


def public_jwk(key: ec.EllipticCurvePrivateKey) -> dict:
    numbers = key.public_key().public_numbers()
    return {
        "crv": "P-256",
        "kty": "EC",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }


def build_proof(key: ec.EllipticCurvePrivateKey, jwk: dict, with_ath: bool) -> str:
    claims = {"jti": b64url(secrets.token_bytes(16)), "htm": HTM, "htu": HTU, "iat": int(time.time())}
    if with_ath:
        claims["ath"] = ATH
    return jwt.encode(claims, key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": jwk})


def fresh_key_proof() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return build_proof(key, public_jwk(key), False)


def measure(case: str, build, seconds: float) -> None:
    build()
    proofs = 0
    cpu_start = time.process_time()
    start = time.perf_counter()
    now = start
    while now - start < seconds:
        for _ in range(16):
            build()
        proofs += 16
        now = time.perf_counter()
    elapsed = now - start
    cpu_seconds = time.process_time() - cpu_start
    print(json.dumps({"impl": "pyjwt", "case": case, "proofs": proofs, "seconds": elapsed,
                      "proofs_per_second": proofs / elapsed, "cpu_seconds": cpu_seconds,
                      "proofs_per_cpu_second": proofs / cpu_seconds}), flush=True)


def main() -> int:
    try:
        seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 2.0
    except ValueError:
        seconds = -1.0
    if seconds <= 0:
        print(f"invalid seconds '{sys.argv[1]}': pass a positive number", file=sys.stderr)
        return 2

    key = ec.generate_private_key(ec.SECP256R1())
    jwk = public_jwk(key)
    measure("reused_key", lambda: build_proof(key, jwk, False), seconds)
    measure("reused_key_ath", lambda: build_proof(key, jwk, True), seconds)
    measure("fresh_key", fresh_key_proof, seconds)
    return 0


if __name__ == "__main__":
    sys.exit(main())
