"""HTTPS for the registry stand-ins (consul, eureka, nacos): --tls-cert/--tls-key serve TLS, --tls-client-ca
also asks clients for a certificate signed by that CA (mutual TLS). Handshakes run in the request's thread."""
import ssl


def add_arguments(parser):
    parser.add_argument("--tls-cert", help="serve HTTPS with this certificate (PEM)")
    parser.add_argument("--tls-key", help="and this private key")
    parser.add_argument("--tls-client-ca", help="require client certificates signed by this CA")


def wrap(server, args):
    """Wraps the listening socket of an http.server when the arguments ask for TLS."""
    if not args.tls_cert:
        return
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(args.tls_cert, args.tls_key)
    if args.tls_client_ca:
        ctx.verify_mode = ssl.CERT_REQUIRED
        ctx.load_verify_locations(args.tls_client_ca)
    server.socket = ctx.wrap_socket(server.socket, server_side=True, do_handshake_on_connect=False)
