"""Word-level recurrent language model: embedding, stacked RNN/GRU/LSTM layers, dropout, tied decoder."""
import torch
from torch import nn

CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}
# torch's row blocks of weight_ih/weight_hh per cell, and which of them are gates worth showing
GATE_BLOCKS = {"lstm": ("input", "forget", "cell", "output"), "gru": ("reset", "update", "new")}
SHOWN_GATES = {"lstm": ("forget", "input", "output"), "gru": ("update", "reset")}


# the settings that shape the network, named alike in the training arguments, a checkpoint's
# config and a manifest's hyperparameters
ARCHITECTURE = ("cell", "vocab_size", "hidden", "layers", "dropout", "tied", "init_range")


class RecurrentLM(nn.Module):
    def __init__(self, cell: str, vocab_size: int, hidden: int = 650, layers: int = 2,
                 dropout: float = 0.5, tied: bool = True, init_range: float = 0.05):
        super().__init__()
        self.cell, self.hidden, self.layers = cell, hidden, layers
        self.drop = nn.Dropout(dropout)
        self.encoder = nn.Embedding(vocab_size, hidden)
        extra = {"nonlinearity": "tanh"} if cell == "rnn" else {}
        self.rnn = CELLS[cell](hidden, hidden, layers, dropout=dropout if layers > 1 else 0.0, **extra)
        self.decoder = nn.Linear(hidden, vocab_size)
        for p in self.parameters():  # Zaremba et al.: uniform init of every weight
            nn.init.uniform_(p, -init_range, init_range)
        if tied:  # Press & Wolf / Inan et al.: one matrix for input and output words
            self.decoder.weight = self.encoder.weight

    @property
    def tied(self) -> bool:
        return self.decoder.weight is self.encoder.weight

    def initial_state(self, batch_size: int):
        h = self.encoder.weight.new_zeros(self.layers, batch_size, self.hidden)
        return (h, h.clone()) if self.cell == "lstm" else h

    def forward(self, tokens: torch.Tensor, state):
        """tokens (seq, batch) -> logits (seq, batch, vocab) and the state after the last step."""
        output, state = self.rnn(self.drop(self.encoder(tokens)), state)
        return self.decoder(self.drop(output)), state


def build_model(settings: dict, **changes) -> RecurrentLM:
    """The network that settings (any of the three dicts named at ARCHITECTURE) describe, with
    changes applied, e.g. vocab_size=len(vocab) or dropout=0.0."""
    settings = {**settings, **changes}
    return RecurrentLM(**{k: settings[k] for k in ARCHITECTURE if k in settings})


def detach(state):
    """Cut the graph between bptt windows while carrying the state (truncated BPTT)."""
    return tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()


def gate_activations(model: RecurrentLM, inputs: torch.Tensor, h_prev: torch.Tensor) -> torch.Tensor:
    """Sigmoid gate activations of every layer from its inputs and previous hidden states.

    inputs: (layers, seq, batch, hidden) what each layer read at each step (embeddings for layer 0,
    the layer below's hidden state otherwise); h_prev: (layers, seq, batch, hidden) its own
    hidden state before the step. Returns (layers, seq, batch, gates, hidden) in SHOWN_GATES order.
    A gate only needs x_t and h_{t-1}, so this needs no recurrence and exports without loops.
    """
    blocks, shown = GATE_BLOCKS[model.cell], SHOWN_GATES[model.cell]
    per_layer = []
    for k in range(model.layers):
        w_ih, w_hh = getattr(model.rnn, f"weight_ih_l{k}"), getattr(model.rnn, f"weight_hh_l{k}")
        b = getattr(model.rnn, f"bias_ih_l{k}") + getattr(model.rnn, f"bias_hh_l{k}")
        pre = (inputs[k] @ w_ih.t() + h_prev[k] @ w_hh.t() + b).chunk(len(blocks), dim=-1)
        per_layer.append(torch.stack([torch.sigmoid(pre[blocks.index(g)]) for g in shown], dim=-2))
    return torch.stack(per_layer)
