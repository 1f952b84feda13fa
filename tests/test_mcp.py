"""The endpoints as MCP tools (Gradio's MCP server, app.py): an MCP client on 127.0.0.1 lists
them with their docstrings' descriptions and calls one; nothing leaves the loopback."""
import ast
import asyncio

from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

PUBLIC = {"analogy", "neighbors", "classify", "models"}


async def tools_and_call(url: str):
    async with streamable_http_client(url) as (read, write, _):
        async with ClientSession(read, write) as session:
            await session.initialize()
            tools = (await session.list_tools()).tools
            called = await session.call_tool("analogy", {"positive": "king, woman", "negative": "man", "topn": 3})
            return tools, called


def test_the_mcp_server_lists_the_endpoints_and_answers(app_url):
    assert app_url.startswith("http://127.0.0.1:")
    tools, called = asyncio.run(tools_and_call(app_url + "gradio_api/mcp/"))
    by_name = {t.name: t for t in tools}
    assert PUBLIC <= set(by_name)
    assert not any(name.endswith("_page") for name in by_name), "the page's private events are not tools"
    analogy = by_name["analogy"]
    assert "king - man + woman" in analogy.description
    assert "words to add" in analogy.inputSchema["properties"]["positive"]["description"]
    answer = ast.literal_eval(called.content[0].text)   # Gradio sends the result's repr as text
    assert answer[0]["word"] == "queen"
