"""RAG chatbot: retriever -> prompt -> chat model -> answer with cited sources.

An LCEL chain over the example notes (``examples/data/``) stored in the embedded
S3 Vectors. The chat model is whatever you configure with ``CHAT_MODEL``:

* ``CHAT_MODEL=bedrock:<model id>`` uses ``langchain_aws.ChatBedrockConverse`` (needs
  ``pip install langchain-aws`` and AWS credentials with Bedrock access), e.g.
  ``CHAT_MODEL=bedrock:anthropic.claude-3-5-haiku-20241022-v1:0``;
* any other value is passed to ``langchain.chat_models.init_chat_model`` (needs
  ``pip install langchain`` and the provider's package), e.g. ``openai:gpt-4o-mini``.

With no ``CHAT_MODEL`` the chain still runs, offline, with an *extractive* stand-in:
no language model at all, it quotes the retrieved sentences closest to the question
and cites their source. The first line of output says which one answered.

Run::

    python examples/rag_chatbot.py "What should a client do when S3 Vectors throttles writes?"
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable, RunnableLambda, RunnableParallel, RunnablePassthrough

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quickstart import DEFAULT_STORE_DIR, build_store

if TYPE_CHECKING:
    from collections.abc import Sequence

    from langchain_core.documents import Document
    from langchain_core.embeddings import Embeddings
    from langchain_core.language_models import BaseChatModel
    from langchain_core.retrievers import BaseRetriever

    from langchain_s3vectors import S3VectorsStore

DEFAULT_QUESTION = "What should a client do when S3 Vectors throttles writes?"
OFFLINE_LABEL = "offline extractive stand-in (no LLM: quotes retrieved sentences)"

PROMPT = ChatPromptTemplate.from_messages(
    [
        (
            "system",
            (
                "Answer the question using only the passages below. After each sentence, "
                "cite the passage it relies on as [source]. If the passages do not contain "
                "the answer, say you don't know.\n\n{context}"
            ),
        ),
        ("human", "{question}"),
    ]
)


def chat_model_from_env(spec: str | None = None) -> tuple[BaseChatModel | None, str]:
    """The configured chat model and a label for it; ``(None, label)`` when none is set.

    Args:
        spec: ``"bedrock:<model id>"`` or an ``init_chat_model`` string; default: the
            ``CHAT_MODEL`` environment variable.
    """
    spec = (spec if spec is not None else os.environ.get("CHAT_MODEL", "")).strip()
    if not spec:
        return None, OFFLINE_LABEL
    if spec.startswith("bedrock:"):
        try:
            from langchain_aws import ChatBedrockConverse  # noqa: PLC0415
        except ImportError as exc:
            msg = f"CHAT_MODEL={spec!r} needs langchain-aws: pip install langchain-aws"
            raise SystemExit(msg) from exc
        region = _bedrock_ready(spec)
        model_id = spec.removeprefix("bedrock:")
        try:
            model = ChatBedrockConverse(model=model_id, region_name=region, temperature=0)
        except ValueError as exc:  # pydantic's ValidationError is a ValueError
            reason = " ".join(str(exc).split())
            msg = f"CHAT_MODEL={spec!r} could not be set up: {reason}"
            raise SystemExit(msg) from None
        return model, spec
    try:
        from langchain.chat_models import init_chat_model  # type: ignore[import-not-found,unused-ignore]  # noqa: PLC0415
    except ImportError as exc:
        msg = (
            f"CHAT_MODEL={spec!r} needs the langchain package (pip install langchain and the "
            "provider's package), or use CHAT_MODEL=bedrock:<model id> with langchain-aws"
        )
        raise SystemExit(msg) from exc
    return init_chat_model(spec, temperature=0), spec


def _bedrock_ready(spec: str) -> str:
    """The AWS region for Bedrock; exits with one line when region or credentials are missing."""
    import boto3  # noqa: PLC0415

    session = boto3.Session()
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    region = region or session.region_name
    unset = "; or unset CHAT_MODEL to use the offline stand-in (no LLM)"
    if not region:
        msg = (
            f"CHAT_MODEL={spec!r} needs an AWS region: set AWS_REGION (e.g. "
            f"AWS_REGION=us-east-1) where the model is enabled{unset}"
        )
        raise SystemExit(msg)
    if session.get_credentials() is None:
        msg = (
            f"CHAT_MODEL={spec!r} needs AWS credentials with Bedrock access and none were "
            "found: run `aws configure` (or set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            f"AWS_SECRET_ACCESS_KEY){unset}"
        )
        raise SystemExit(msg)
    return region


def format_passages(docs: Sequence[Document]) -> str:
    """The retrieved passages, each labelled with its source, for the prompt."""
    return "\n\n".join(
        f"[{doc.metadata.get('source', doc.id)}]\n{doc.page_content}" for doc in docs
    )


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`\"(])")


def _sentences(text: str) -> list[str]:
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    flat = " ".join(" ".join(lines).split())
    return [s.strip() for s in _SENTENCE_END.split(flat) if len(s.split()) >= 5]


def extractive_answer(embedding: Embeddings, *, max_sentences: int = 3) -> Runnable[Any, str]:
    """The offline stand-in: the retrieved sentences closest to the question, cited.

    Not a language model: it only selects and quotes sentences from the passages,
    ranked by cosine similarity of their embeddings to the question's.
    """

    def answer(inputs: dict[str, Any]) -> str:
        question: str = inputs["question"]
        candidates = [
            (sentence, str(doc.metadata.get("source", doc.id)))
            for doc in inputs["docs"]
            for sentence in _sentences(doc.page_content)
        ]
        if not candidates:
            return "I don't know: no passage was retrieved for this question."
        query = np.asarray(embedding.embed_query(question))
        vectors = np.asarray(embedding.embed_documents([s for s, _ in candidates]))
        norms = np.linalg.norm(vectors, axis=1) * np.linalg.norm(query)
        scores = vectors @ query / np.where(norms == 0, 1.0, norms)
        best = sorted(np.argsort(-scores)[:max_sentences].tolist())  # keep reading order
        return " ".join(f"{candidates[i][0]} [{candidates[i][1]}]" for i in best)

    return RunnableLambda(answer)


def build_chain(
    retriever: BaseRetriever, llm: BaseChatModel | None, embedding: Embeddings
) -> Runnable[str, dict[str, Any]]:
    """``question -> {"question", "docs", "answer"}``.

    With a chat model: retriever -> prompt -> model -> text. Without one: retriever ->
    extractive stand-in.
    """
    retrieve = RunnableParallel(question=RunnablePassthrough(), docs=retriever)
    if llm is None:
        answer: Runnable[Any, str] = extractive_answer(embedding)
    else:
        answer = (
            RunnableLambda(
                lambda x: {"question": x["question"], "context": format_passages(x["docs"])}
            )
            | PROMPT
            | llm
            | StrOutputParser()
        )
    return retrieve.assign(answer=answer)


def sources(docs: Sequence[Document]) -> list[str]:
    """Distinct sources of the retrieved passages, in rank order."""
    return list(dict.fromkeys(str(doc.metadata.get("source", doc.id)) for doc in docs))


def ask(
    store: S3VectorsStore,
    question: str,
    *,
    llm: BaseChatModel | None = None,
    label: str = OFFLINE_LABEL,
    k: int = 4,
) -> dict[str, Any]:
    """Answer one question and print the answer with its sources."""
    if store.embeddings is None:
        msg = "the store needs an embedding model"
        raise ValueError(msg)
    retriever = store.as_retriever(search_type="hybrid", search_kwargs={"k": k})
    chain = build_chain(retriever, llm, store.embeddings)
    print(f"Chat model: {label}")
    print(f"Question: {question}")
    result: dict[str, Any] = chain.invoke(question)
    print(f"Answer: {result['answer']}")
    print("Sources:")
    for source in sources(result["docs"]):
        print(f"  - {source}")
    return result


def open_store(path: Path) -> S3VectorsStore:
    """The quickstart's store at ``path``, built first when it is missing or empty."""
    from langchain_s3vectors import S3VectorsStore  # noqa: PLC0415
    from langchain_s3vectors.app.embeddings import default_embeddings  # noqa: PLC0415

    embedding = default_embeddings()
    store = S3VectorsStore.local(path, embedding)
    if next(store.iter_records(return_metadata=False), None) is None:
        print(f"Indexing examples/data/ into {path}/ ...")
        store = build_store(path, embedding)
    return store


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Parse arguments, open (or build) the store and answer the question."""
    parser = argparse.ArgumentParser(description="RAG over the example notes.")
    parser.add_argument("question", nargs="?", default=DEFAULT_QUESTION)
    parser.add_argument("--path", type=Path, default=DEFAULT_STORE_DIR, help="store directory")
    parser.add_argument("-k", type=int, default=4, help="passages to retrieve")
    args = parser.parse_args(argv)
    llm, label = chat_model_from_env()
    store = open_store(args.path)
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        return ask(store, args.question, llm=llm, label=label, k=args.k)
    except (BotoCoreError, ClientError) as exc:  # Bedrock refused: access, model, quota
        reason = " ".join(str(exc).split())
        msg = f"the chat model ({label}) failed: {reason}"
        raise SystemExit(msg) from None


if __name__ == "__main__":
    main()
