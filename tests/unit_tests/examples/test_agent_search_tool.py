"""examples/agent_search_tool.py: the full tool round-trip through LangGraph's agent."""

from __future__ import annotations

import agent_search_tool
from langchain_core.messages import AIMessage, HumanMessage, ToolMessage


def test_agent_calls_the_store_tool_and_quotes_it(corpus_store, capsys):
    question = "Which IAM permissions does a read-only retriever need?"
    messages = agent_search_tool.run_agent(corpus_store, question)
    out = capsys.readouterr().out
    assert out.startswith("Chat model: scripted stand-in")
    assert [type(m) for m in messages] == [HumanMessage, AIMessage, ToolMessage, AIMessage]
    call = messages[1].tool_calls[0]
    assert call["name"] == "search_notes"
    assert call["args"] == {"query": question}
    tool_result = str(messages[2].content)
    assert tool_result.startswith("[s3-vectors-iam.md]")
    assert "s3vectors:QueryVectors" in tool_result
    final = str(messages[3].content)
    assert final.startswith("From search_notes: [s3-vectors-iam.md]")
    assert "[ai] tool call search_notes" in out
    assert "[tool search_notes] [s3-vectors-iam.md]" in out


def test_search_tool_respects_k(corpus_store):
    tool = agent_search_tool.search_tool(corpus_store, k=2)
    result = tool.invoke({"query": "SQLite write-ahead log checkpoint"})
    assert result.count("[sqlite-") >= 1
    assert len([p for p in result.split("\n\n") if p.startswith("[")]) == 2
