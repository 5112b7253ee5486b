"""The parts of torch's API the analysis understands, as tables (qualified name -> meaning)."""

from __future__ import annotations

RNN_CLASSES = {"torch.nn.LSTM": "LSTM", "torch.nn.GRU": "GRU", "torch.nn.RNN": "RNN"}

# torch's constructor signatures, positional order.
RNN_PARAMETERS = {
    "LSTM": (
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
        "proj_size",
    ),
    "GRU": (
        "input_size",
        "hidden_size",
        "num_layers",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
    ),
    "RNN": (
        "input_size",
        "hidden_size",
        "num_layers",
        "nonlinearity",
        "bias",
        "batch_first",
        "dropout",
        "bidirectional",
    ),
    # A class not known until run time (`getattr(nn, name)`, `cell = nn.GRU if ... else
    # nn.LSTM`): only the positions all three classes share.
    "": ("input_size", "hidden_size", "num_layers"),
}

# Layers whose first argument is the size of the last dimension they accept.
SIZED_LAYERS = {
    "torch.nn.Linear": ("Linear", "in_features"),
    "torch.nn.LayerNorm": ("LayerNorm", "normalized_shape"),
    "torch.nn.MultiheadAttention": ("MultiheadAttention", "embed_dim"),
}

# Modules that return a tensor of their input's shape.
PASSTHROUGH_LAYERS = frozenset(
    "torch.nn." + name
    for name in (
        "Dropout",
        "Dropout1d",
        "AlphaDropout",
        "ReLU",
        "Tanh",
        "GELU",
        "Identity",
        "LeakyReLU",
        "ELU",
        "SELU",
        "Sigmoid",
        "Softsign",
        "Mish",
        "SiLU",
        "PReLU",
        "Hardtanh",
        # each value stays at its step and feature, shifted and scaled by batch statistics
        "BatchNorm1d",
    )
)

CONTAINERS = {"torch.nn.ModuleList": "ModuleList", "torch.nn.Sequential": "Sequential"}

EMBEDDING = "torch.nn.Embedding"

# Convolutions over the time axis: every output step still sits over input steps, so the steps of
# a padded batch that were padding are still there, now as features of the padding.
CONVOLUTIONS = frozenset(("torch.nn.Conv1d", "torch.nn.Conv2d"))

# Functions that build a fresh tensor from a shape (the first argument, or a tuple of sizes).
TENSOR_BUILDERS = frozenset(
    "torch." + name
    for name in (
        "zeros",
        "ones",
        "randn",
        "rand",
        "empty",
        "full",
        "Tensor",
        "FloatTensor",
        "DoubleTensor",
        "HalfTensor",
        "cuda.FloatTensor",
        "cuda.DoubleTensor",
        "cuda.HalfTensor",
        "randint",
    )
)
BUILDER_METHODS = frozenset(("new_zeros", "new_ones", "new_empty", "new_full", "new"))

# Wrappers that hand back their argument (as far as shapes go).
WRAPPERS = frozenset(("torch.autograd.Variable", "torch.nn.Parameter"))

# Module methods that return the module itself (`self.rnn = self.rnn.cuda()`).
MODULE_SELF_METHODS = frozenset(
    (
        "cuda",
        "cpu",
        "to",
        "float",
        "double",
        "half",
        "bfloat16",
        "train",
        "eval",
        "requires_grad_",
        "type",
    )
)

# Tensor methods that keep a state builder a state builder.
BUILDER_PASSTHROUGH_METHODS = frozenset(
    (
        "to",
        "cuda",
        "cpu",
        "zero_",
        "normal_",
        "uniform_",
        "fill_",
        "float",
        "double",
        "half",
        "requires_grad_",
        "detach",
        "clone",
        "contiguous",
        "type",
        "type_as",
        "share_memory_",
        "bfloat16",
        "long",
        "xavier_normal_",
    )
)

# Tensor methods and functions that keep shape (and so the meaning of the last dimension).
SHAPE_KEEPING_METHODS = frozenset(
    (
        "contiguous",
        "float",
        "double",
        "half",
        "to",
        "cuda",
        "cpu",
        "clone",
        "detach",
        "relu",
        "tanh",
        "sigmoid",
        "masked_fill",
        "masked_fill_",
        "type_as",
        "type",
        "requires_grad_",
        "bfloat16",
        "abs",
        "exp",
        "neg",
        "mul",
        "add",
        "div",
        "sub",
    )
)
SHAPE_KEEPING_FUNCTIONS = frozenset(
    (
        "torch.tanh",
        "torch.relu",
        "torch.sigmoid",
        "torch.abs",
        "torch.mul",
        "torch.add",
        "torch.nn.functional.relu",
        "torch.nn.functional.dropout",
        "torch.nn.functional.gelu",
        "torch.nn.functional.tanh",
        "torch.nn.functional.leaky_relu",
        "torch.nn.functional.elu",
        "torch.nn.functional.sigmoid",
        "torch.nn.functional.selu",
        "torch.nn.functional.silu",
        "torch.nn.functional.normalize",
    )
)

# Reductions over one dimension (the pooling of outputs into a summary).
REDUCTIONS = frozenset(("mean", "sum", "max", "min", "amax", "amin", "logsumexp", "nanmean"))
PAIR_REDUCTIONS = frozenset(("max", "min"))  # with a dim they return (values, indices)

PACK_CALLS = frozenset(("pack_padded_sequence", "pack_sequence"))  # calls that return a packed batch
PACKERS = PACK_CALLS | {"PackedSequence"}
PAD_SEQUENCE = "torch.nn.utils.rnn.pad_sequence"
FUNCTIONAL_PAD = "torch.nn.functional.pad"
PAD_PACKED = "torch.nn.utils.rnn.pad_packed_sequence"
