"""An RNN built bidirectional on the branch a known flag takes.

``if bidirect: self.rnn = nn.GRU(..., bidirectional=True) else: self.rnn = nn.GRU(...)`` says
what ``nn.GRU(..., bidirectional=bidirect)`` says: when the condition's truth is known (a literal,
a parameter's default, a call site or config of the project that binds the flag True), the RNN
is the one its branch builds. Joining the branches would lose it (they disagree on the
direction, so the join knows nothing), and the rules would stay quiet on code whose configured
path is bidirectional. Only a bidirectional RNN on the taken branch is kept: that path exists.
"""

from __future__ import annotations

from typing import Any

from lint_rules.values import RnnModule, Sym


def keep_taken_rnns(test: Any, body: dict[str, Any], orelse: dict[str, Any]) -> None:
    """Where the two branches bind one name to RNNs that differ in direction and ``test``'s
    truth picks the bidirectional one, bind it on both (so the join keeps it)."""
    truth = test.truth if isinstance(test, Sym) else None
    if truth is None:
        return
    taken, other = (body, orelse) if truth else (orelse, body)
    for name, value in taken.items():
        alternative = other.get(name)
        if not (isinstance(value, RnnModule) and isinstance(alternative, RnnModule)):
            continue
        if value.rnn.bidirectional is True and alternative.rnn.bidirectional is not True:
            if not value.rnn.origin and test.origin:
                value.rnn.origin = test.origin
            other[name] = value
