"""Code copied into saved model folders so ``transformers`` (trust_remote_code=True) computes what specialize does.

Each file imports only torch, transformers and its siblings in the saved folder.
"""
