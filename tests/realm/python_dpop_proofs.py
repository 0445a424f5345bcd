#!/usr/bin/env python3
"""Build DPoP proofs with PyJWT and cryptography, independently of dpopfleet's C++ code.

Usage: python_dpop_proofs.py HTU [HTM]
       python_dpop_proofs.py --resource HTU ACCESS_TOKEN PRIVATE_JWK

Prints one JSON object with three members. "valid" is a proof for HTM (default POST) and
HTU. "tampered" is the same proof with a new jti spliced in after signing, so its signature
no longer verifies. "thumbprint" is the RFC 7638 thumbprint of the proof key, computed here.

With --resource it signs a GET proof for HTU with the given private JWK and adds "ath",
the base64url SHA-256 of ACCESS_TOKEN computed here, and prints {"valid": proof}.
Needs Debian's python3-jwt and python3-cryptography (run with /usr/bin/python3).
"""

import base64
import hashlib
import json
import sys
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def resource_proof(htu: str, access_token: str, private_jwk: str) -> str:
    jwk = json.loads(private_jwk)
    d = int.from_bytes(base64.urlsafe_b64decode(jwk["d"] + "=="), "big")
    key = ec.derive_private_key(d, ec.SECP256R1())
    public_jwk = {name: jwk[name] for name in ("kty", "crv", "x", "y")}
    ath = b64url(hashlib.sha256(access_token.encode("ascii")).digest())
    payload = {"jti": str(uuid.uuid4()), "htm": "GET", "htu": htu, "iat": int(time.time()), "ath": ath}
    return jwt.encode(payload, key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": public_jwk})


def main() -> int:
    if len(sys.argv) == 5 and sys.argv[1] == "--resource":
        print(json.dumps({"valid": resource_proof(sys.argv[2], sys.argv[3], sys.argv[4])}))
        return 0
    if len(sys.argv) not in (2, 3):
        print(__doc__, file=sys.stderr)
        return 2
    htu = sys.argv[1]
    htm = sys.argv[2] if len(sys.argv) == 3 else "POST"

    key = ec.generate_private_key(ec.SECP256R1())
    numbers = key.public_key().public_numbers()
    jwk = {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url(numbers.x.to_bytes(32, "big")),
        "y": b64url(numbers.y.to_bytes(32, "big")),
    }
    # RFC 7638: the required members in lexicographic order, no whitespace.
    canonical = json.dumps(jwk, separators=(",", ":"), sort_keys=True)
    thumbprint = b64url(hashlib.sha256(canonical.encode("ascii")).digest())

    payload = {"jti": str(uuid.uuid4()), "htm": htm, "htu": htu, "iat": int(time.time())}
    valid = jwt.encode(payload, key, algorithm="ES256", headers={"typ": "dpop+jwt", "jwk": jwk})

    header_b64, _, signature_b64 = valid.split(".")
    tampered_payload = dict(payload, jti=str(uuid.uuid4()))
    tampered = ".".join([header_b64, b64url(json.dumps(tampered_payload).encode("ascii")), signature_b64])

    print(json.dumps({"valid": valid, "tampered": tampered, "thumbprint": thumbprint}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
