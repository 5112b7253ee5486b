"""Model-level checks: properties of whole sequence models that use bidirectional RNNs (M1-M3).

A layer can pass every clause C1-C18 while the model around it reads padding as data or mixes
batch elements. These checks run the user's own model through the user's own batching (a
``ModelSpec``'s ``run``) and confirm at runtime what birnn-lint's BRN004, BRN005 and BRN006
(a batch-major view of h_n) suspect.
"""
