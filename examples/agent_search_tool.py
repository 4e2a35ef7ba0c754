"""The store as a tool of a tool-calling agent (LangGraph's prebuilt ReAct agent).

``create_retriever_tool`` wraps a hybrid-search retriever over the example notes as
the tool ``search_notes``; ``langgraph.prebuilt.create_react_agent`` runs the loop
model -> tool call -> tool result -> model -> answer.

The model is the one you configure with ``CHAT_MODEL`` (see ``rag_chatbot.py``; it must
support tool calling). With none configured, a *scripted* chat model stands in so the
round-trip runs offline: it is not a language model. On its first turn it calls
``search_notes`` with the user's question; on its second it answers by quoting the
start of the tool's result. The output says which model is used and prints every
message of the exchange.

Run::

    python examples/agent_search_tool.py "Which permissions does a read-only retriever need?"
"""

from __future__ import annotations

import argparse
import sys
import warnings
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage
from langchain_core.outputs import ChatGeneration, ChatResult
from langchain_core.prompts import PromptTemplate
from langchain_core.tools import create_retriever_tool

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quickstart import DEFAULT_STORE_DIR
from rag_chatbot import chat_model_from_env, open_store

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.callbacks import CallbackManagerForLLMRun
    from langchain_core.language_models import LanguageModelInput
    from langchain_core.runnables import Runnable
    from langchain_core.tools import BaseTool

    from langchain_s3vectors import S3VectorsStore

TOOL_NAME = "search_notes"
SCRIPTED_LABEL = "scripted stand-in (not an LLM: calls the tool once, then quotes its result)"
DEFAULT_QUESTION = "Which IAM permissions does a read-only retriever need?"


class ScriptedToolCaller(BaseChatModel):
    """A chat model that follows a fixed script, for running the agent loop offline.

    Turn 1 (no tool result yet): one call of ``tool_name`` with the last human
    message as the query. Turn 2: a final answer quoting the first ``quote_chars``
    characters of the latest tool result.
    """

    tool_name: str = TOOL_NAME
    quote_chars: int = 400

    @property
    def _llm_type(self) -> str:
        return "scripted-tool-caller"

    def bind_tools(self, tools: Sequence[Any], **kwargs: Any) -> Runnable[LanguageModelInput, Any]:  # noqa: ARG002
        """Tools are fixed by the script; binding changes nothing."""
        return self

    def _generate(
        self,
        messages: list[BaseMessage],
        stop: list[str] | None = None,  # noqa: ARG002 - the script ignores stop words
        run_manager: CallbackManagerForLLMRun | None = None,  # noqa: ARG002
        **kwargs: Any,
    ) -> ChatResult:
        results = [m for m in messages if isinstance(m, ToolMessage)]
        if not results:
            question = next(
                (str(m.content) for m in reversed(messages) if isinstance(m, HumanMessage)), ""
            )
            message = AIMessage(
                content="",
                tool_calls=[{"name": self.tool_name, "args": {"query": question}, "id": "call_1"}],
            )
        else:
            found = " ".join(str(results[-1].content).split())
            quote = found[: self.quote_chars] + ("..." if len(found) > self.quote_chars else "")
            message = AIMessage(content=f"From {self.tool_name}: {quote}")
        return ChatResult(generations=[ChatGeneration(message=message)])


def search_tool(store: S3VectorsStore, *, k: int = 3) -> BaseTool:
    """The store as a tool: hybrid search, each passage labelled with its source."""
    return create_retriever_tool(
        store.as_retriever(search_type="hybrid", search_kwargs={"k": k}),
        TOOL_NAME,
        "Search technical notes on vector search, Amazon S3 Vectors, RAG, retries, SQLite "
        "and Python packaging. Input: a search query.",
        document_prompt=PromptTemplate.from_template("[{source}] {page_content}"),
    )


def run_agent(
    store: S3VectorsStore,
    question: str,
    *,
    model: BaseChatModel | None = None,
    label: str = SCRIPTED_LABEL,
) -> list[BaseMessage]:
    """Run the agent on one question, print the exchange, return its messages."""
    from langgraph.prebuilt import create_react_agent  # noqa: PLC0415
    from langgraph.warnings import LangGraphDeprecationWarning  # noqa: PLC0415

    with warnings.catch_warnings():
        # LangGraph 1.x points to langchain.agents.create_agent (in the separate
        # `langchain` package); the prebuilt agent works the same until LangGraph 2.
        warnings.simplefilter("ignore", LangGraphDeprecationWarning)
        agent = create_react_agent(model or ScriptedToolCaller(), [search_tool(store)])
    print(f"Chat model: {label}")
    state = agent.invoke({"messages": [HumanMessage(question)]})
    messages: list[BaseMessage] = state["messages"]
    for message in messages:
        if isinstance(message, AIMessage) and message.tool_calls:
            for call in message.tool_calls:
                print(f"[ai] tool call {call['name']}({call['args']})")
        elif isinstance(message, ToolMessage):
            shown = " ".join(str(message.content).split())
            print(f"[tool {message.name}] {shown[:300]}...")
        else:
            print(f"[{message.type}] {message.content}")
    return messages


def main(argv: Sequence[str] | None = None) -> list[BaseMessage]:
    """Parse arguments, open (or build) the store and run the agent."""
    parser = argparse.ArgumentParser(description="An agent with the store as its search tool.")
    parser.add_argument("question", nargs="?", default=DEFAULT_QUESTION)
    parser.add_argument("--path", type=Path, default=DEFAULT_STORE_DIR, help="store directory")
    args = parser.parse_args(argv)
    llm, label = chat_model_from_env()
    if llm is None:
        llm, label = ScriptedToolCaller(), SCRIPTED_LABEL
    return run_agent(open_store(args.path), args.question, model=llm, label=label)


if __name__ == "__main__":
    main()
