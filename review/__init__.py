"""The miss-to-data loop: questions the bot did not answer, an operator's decision on each, and the reviewed items
exported as training data (docs/operations.md, "Rà soát câu hỏi bot chưa trả lời").

Domain layer: imports `base` and `knowledge` only. Tables (`review_decisions`) on Alembic branch `review`.
"""
