"""What the HTTP layer refuses before Gradio parses anything (ASGI middleware, passed to the
FastAPI app through launch(app_kwargs={"middleware": ...}), Gradio 6.31's public hook):

- request bodies over MAX_BODY_BYTES, by Content-Length or, for a chunked body, as the bytes
  arrive: 413 with a message (a 100 MB text to /perplexity used to be parsed for 35 s first);
- file uploads, any multipart/form-data body: the app has no file input, yet
  /gradio_api/upload took 1 GB and 1,000 files a request and kept them in the temp folder;
- on a loopback address, a Host header that is not a loopback name (starlette's
  TrustedHostMiddleware): a page on another site whose name was rebound to 127.0.0.1 (DNS
  rebinding) is refused, and no foreign name is reflected in /config's root.
"""
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import JSONResponse

from serving.limits import MAX_BODY_BYTES, MAX_TEXT_CHARS

LOOPBACK_ADDRESSES = ("127.0.0.1", "localhost")
LOOPBACK_HOSTS = ["127.0.0.1", "localhost"]


class BodyLimit:
    def __init__(self, app, max_bytes: int = MAX_BODY_BYTES):
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        headers = dict(scope["headers"])
        if headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data"):
            return await refusal(415, "This app takes no files: uploads are refused.")(scope, receive, send)
        too_large = refusal(413, f"Request body too large: the limit is {self.max_bytes:,} bytes (a text "
                                 f"argument may have at most {MAX_TEXT_CHARS:,} characters).")
        length = headers.get(b"content-length")
        if length is not None:  # uvicorn holds the body to it
            if not length.isdigit() or int(length) > self.max_bytes:
                return await too_large(scope, receive, send)
            return await self.app(scope, receive, send)
        body, more = b"", True  # chunked: read up to the limit here, then hand it on whole
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return
            body, more = body + message.get("body", b""), message.get("more_body", False)
            if len(body) > self.max_bytes:
                return await too_large(scope, receive, send)
        replayed = False

        async def replay():
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)


def refusal(status: int, message: str) -> JSONResponse:
    return JSONResponse({"detail": message}, status_code=status)


def middleware(server_name: str) -> list[Middleware]:
    """The outermost first: the host check, then the body limit."""
    hosts = [Middleware(TrustedHostMiddleware, allowed_hosts=LOOPBACK_HOSTS)] if server_name in LOOPBACK_ADDRESSES else []
    return hosts + [Middleware(BodyLimit)]
