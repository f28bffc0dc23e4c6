"""Real public keys generated with OpenSSL 3.0 for the DKIM fixtures (base64 of the DER).

`openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:N` then `openssl pkey -pubout
-outform DER`; the PKCS #1 one with `openssl rsa -RSAPublicKey_out`; the Ed25519 one is the
raw 32-byte key (RFC 8463). The private halves were thrown away.
"""

RSA_512_SPKI = (
    "MFwwDQYJKoZIhvcNAQEBBQADSwAwSAJBANLkFsrKxxH2a1LsjOhbMVJD3CN/pHEUW2lSRylaiFYKRGMD"
    "YSBdVkpelvW+yU2QF2xLSVG+xLR1ZuWRfKSLZ60CAwEAAQ=="
)
RSA_1024_SPKI = (
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQC/l1JAjqdh/EgZlhDnsQeG9HUAKGTJu2wDEVYkiFut"
    "pOM05kq9dJLP3nV+xgKGReHca0HAe/hMBDCjyBCbNYNNbVeM5CVoGVcTAG7Gb7CBNQ2M+BhpYke7uoKM"
    "FnsQItiWPIeF3OCX9XkNH1ae+Df+KweK+sAcIfXJMzYAZBJd3wIDAQAB"
)
RSA_2048_SPKI = (
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA9i5Gp8nENB+CQuU+YQxQTqE8jFXxZp4q7Rsj"
    "VzQOY3pF+olBfEPx1v5UKxx3MrbPXmXQraFcMOXSxc24E/RvV64erxw9Ze/yFZv3irpAw5Dl3bLsViDy"
    "/JfqPaOAUadURZurSXL9Jk09z2eP45okOF5nkjtnLBHJU3WPQzSQHNFlsrCgY01MqyDNj+gsStKpAvOB"
    "TWoJpYdmrXcwJOFTba16rKqIq7wHaEk8AW+1CBBChzAdBxu/DboQhlXHinME4egbUnCzhbWk8T322+Sa"
    "Kw0kF4YPXk5ieuNqtZb+OgAWduAVlHL79nnK77407ceiFN3xqBQrdjUwB4gbVC0XewIDAQAB"
)
RSA_1024_PKCS1 = (
    "MIGJAoGBAL+XUkCOp2H8SBmWEOexB4b0dQAoZMm7bAMRViSIW62k4zTmSr10ks/edX7GAoZF4dxrQcB7"
    "+EwEMKPIEJs1g01tV4zkJWgZVxMAbsZvsIE1DYz4GGliR7u6gowWexAi2JY8h4Xc4Jf1eQ0fVp74N/4r"
    "B4r6wBwh9ckzNgBkEl3fAgMBAAE="
)
ED25519_RAW = "muiOf8WqRmqav4Bdz/QI4a0OAPgceCMKCZv6Y71TDpo="
