"""Kim (2014)'s CNN for sentence classification and a bidirectional LSTM beside it.

Both end in max-over-time pooling followed by one linear layer, so both can say which input
positions won each pooled feature and how much that feature added to each class logit: the
evidence serving shows. A CNN feature covers a window of `width` tokens that starts `pad` tokens
before the position the pooling chose; an LSTM feature covers the single token at that position.
"""
import copy

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD_ID = 0


def make_embedding(vocab_size: int, dim: int, init: torch.Tensor | None, trainable: bool = True,
                   scale: float = 0.25) -> nn.Embedding:
    """Kim's initialisation: given vectors where known, elsewhere U[-a, a] with a chosen so that
    the random vectors have the variance of the given ones (Kim's 0.25 for word2vec's Google
    News vectors; `scale` when there are none), <pad> zero."""
    emb = nn.Embedding(vocab_size, dim, padding_idx=PAD_ID)
    with torch.no_grad():
        known = init.abs().sum(dim=1) > 0 if init is not None else None
        if known is not None and known.any():
            scale = float(init[known].float().std()) * 3 ** 0.5
        emb.weight.uniform_(-scale, scale)
        if known is not None:
            emb.weight[known] = init[known].float()
        emb.weight[PAD_ID] = 0
    emb.weight.requires_grad_(trainable)
    return emb


class KimCNN(nn.Module):
    """mode: "rand" (random, trained), "static" (given vectors, frozen), "non-static" (given
    vectors, fine-tuned) or "multichannel" (a frozen and a fine-tuned copy). Kim applies each
    filter to both channels and adds the results; convolution being linear, that is the filter
    applied to the sum of the two embeddings, which is how it is computed (and exported) here."""

    def __init__(self, vocab_size: int, dim: int = 300, widths: tuple = (3, 4, 5), maps: int = 100,
                 classes: int = 2, dropout: float = 0.5, mode: str = "non-static",
                 vectors: torch.Tensor | None = None):
        super().__init__()
        if mode != "rand" and vectors is None:
            raise ValueError(f"CNN mode {mode!r} needs word vectors")
        init = None if mode == "rand" else vectors
        self.embedding = make_embedding(vocab_size, dim, init, trainable=mode != "static")
        self.static = (make_embedding(vocab_size, dim, init, trainable=False)
                       if mode == "multichannel" else None)
        self.widths, self.pad = tuple(widths), max(widths) - 1
        self.convs = nn.ModuleList(nn.Conv1d(dim, maps, w) for w in widths)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(maps * len(widths), classes)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embedding(ids)
        return x if self.static is None else x + self.static(ids)

    def pooled(self, ids: torch.Tensor, lengths: torch.Tensor | None = None):
        """Max over time of each feature map, and the window start (in padded positions) that
        won. Sentences are padded by max(widths)-1 zero vectors on both sides, as in Kim's code,
        so that a sentence shorter than the widest filter still fills every window."""
        x = self.padded(ids)
        maxima = [F.relu(conv(x)).max(dim=-1) for conv in self.convs]
        return torch.cat([m.values for m in maxima], 1), torch.cat([m.indices for m in maxima], 1)

    def padded(self, ids: torch.Tensor) -> torch.Tensor:
        return F.pad(self.embed(ids).transpose(1, 2), (self.pad, self.pad))

    def shares(self, ids: torch.Tensor, values: torch.Tensor,
               positions: torch.Tensor) -> torch.Tensor:
        """Each window token's part in its feature's pooled value, [batch, features, max width]
        (zero past a filter's width). A filter's pre-activation at its winning window is
        bias + sum over offsets k of w_k . x_(start+k): token k's share is w_k . x_(start+k)
        divided by the pooled value (the bias is nobody's), so the evidence can go to the words
        inside a window that lit the filter rather than to the whole window evenly."""
        x = self.padded(ids)
        batch, dim, widest = x.shape[0], x.shape[1], max(self.widths)
        maps, out = self.convs[0].out_channels, []
        for i, conv in enumerate(self.convs):
            width = conv.kernel_size[0]
            where = (positions[:, i * maps:(i + 1) * maps].unsqueeze(-1)
                     + torch.arange(width, device=x.device))
            windows = x.gather(2, where.reshape(batch, 1, -1).expand(-1, dim, -1))
            parts = (windows.reshape(batch, dim, maps, width) * conv.weight.transpose(0, 1)).sum(1)
            out.append(F.pad(parts, (0, widest - width)))
        lit = (values > 0).unsqueeze(-1)  # a feature at zero adds nothing: no shares
        return torch.where(lit, torch.cat(out, 1) / values.clamp_min(1e-6).unsqueeze(-1), 0.0)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.dropout(self.pooled(ids)[0]))

    def evidence_layout(self) -> dict:
        return {"filter_widths": list(self.widths), "feature_maps": self.convs[0].out_channels,
                "pad": self.pad}


class BiLSTMClassifier(nn.Module):
    """Embedding, one bidirectional LSTM layer, max over time of the states, dropout, linear."""

    def __init__(self, vocab_size: int, dim: int = 300, hidden: int = 150, classes: int = 2,
                 dropout: float = 0.5, vectors: torch.Tensor | None = None):
        super().__init__()
        self.embedding = make_embedding(vocab_size, dim, vectors)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.dropout = nn.Dropout(dropout)
        self.out = nn.Linear(2 * hidden, classes)

    def embed(self, ids: torch.Tensor) -> torch.Tensor:
        return self.embedding(ids)

    def pooled(self, ids: torch.Tensor, lengths: torch.Tensor | None = None):
        """Without lengths every position counts (one unpadded sentence, as served); with them,
        padding is packed away so the backward direction starts at each sentence's last word."""
        x = self.dropout(self.embed(ids))
        if lengths is None:
            states = self.lstm(x)[0]
        else:
            packed = pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
            states = pad_packed_sequence(self.lstm(packed)[0], batch_first=True,
                                         padding_value=float("-inf"), total_length=ids.shape[1])[0]
        best = states.max(dim=1)
        return best.values, best.indices

    def shares(self, ids: torch.Tensor, values: torch.Tensor,
               positions: torch.Tensor) -> torch.Tensor:
        """A state feature is credited to the one token where it peaked."""
        return torch.ones_like(values).unsqueeze(-1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.dropout(self.pooled(ids, lengths)[0]))

    def evidence_layout(self) -> dict:
        return {"filter_widths": [1], "feature_maps": self.out.in_features, "pad": 0}


class KimCNNEnsemble(nn.Module):
    """Kim CNNs trained from different seeds, their logits averaged. An average of linear layers
    is one linear layer over all the members' pooled features (each member's output weights
    divided by their number), so the ensemble is explained exactly as one CNN is: a member's
    feature still wins its own window and adds its own share to the logits."""

    def __init__(self, members: list[KimCNN], weights: list[float] | None = None):
        """weights: each member's share of the average (equal by default; they sum to 1)."""
        super().__init__()
        self.members = nn.ModuleList(members)
        self.dropout = members[0].dropout
        self.out = nn.Linear(sum(m.out.in_features for m in members), members[0].out.out_features)
        with torch.no_grad():
            if weights is None:
                self.out.weight.copy_(torch.cat([m.out.weight for m in members], 1) / len(members))
                self.out.bias.copy_(torch.stack([m.out.bias for m in members]).mean(0))
            else:
                self.out.weight.copy_(torch.cat([w * m.out.weight for w, m in zip(weights, members)], 1))
                self.out.bias.copy_(sum(w * m.out.bias for w, m in zip(weights, members)))
        self.requires_grad_(False)  # assembled from trained members, never trained as a whole

    def pooled(self, ids: torch.Tensor, lengths: torch.Tensor | None = None):
        values, positions = zip(*(m.pooled(ids) for m in self.members))
        return torch.cat(values, 1), torch.cat(positions, 1)

    def shares(self, ids: torch.Tensor, values: torch.Tensor,
               positions: torch.Tensor) -> torch.Tensor:
        n = len(self.members)
        return torch.cat([m.shares(ids, v, p) for m, v, p in
                          zip(self.members, values.chunk(n, 1), positions.chunk(n, 1))], 1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.out(self.pooled(ids)[0])

    def evidence_layout(self) -> dict:
        layout = self.members[0].evidence_layout()
        return {**layout, "filter_widths": layout["filter_widths"] * len(self.members)}


def averaged(singles: list[nn.Module]) -> nn.Module:
    """One trained network as it is; several, as the KimCNNEnsemble averaging them."""
    return singles[0] if len(singles) == 1 else KimCNNEnsemble(singles)


def networks(model: nn.Module) -> list[nn.Module]:
    """The single networks a model is made of: an ensemble's members, or the model itself."""
    return list(model.members) if isinstance(model, KimCNNEnsemble) else [model]


def max_norm_(model: nn.Module, limit: float = 3.0) -> None:
    """Kim's constraint, applied after each step: each class's output weight vector is rescaled
    to l2 norm <= limit."""
    with torch.no_grad():
        model.out.weight.copy_(torch.renorm(model.out.weight, 2, 0, limit))


class HalfEmbedding(nn.Module):
    """An embedding table stored as fp16 (half the ONNX file), looked up as float."""

    def __init__(self, weight: torch.Tensor):
        super().__init__()
        self.register_buffer("weight", weight.detach().half())

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        return F.embedding(ids, self.weight).float()


@torch.no_grad()
def fold_to_half_embedding_(model: nn.Module) -> None:
    """Replace the model's embedding (and a multichannel CNN's static one) by the one fp16 table
    its embed() amounts to."""
    ids = torch.arange(model.embedding.num_embeddings,
                       device=model.embedding.weight.device).unsqueeze(0)
    model.embedding = HalfEmbedding(model.embed(ids)[0])
    if isinstance(model, KimCNN):
        model.static = None


class Explained(nn.Module):
    """What is exported: calibrated logits (divided by the temperature fitted on dev), the
    winning position of every pooled feature, each feature's contribution to each class logit
    (pooled value x output weight) and the shares of the tokens in its window. The embedding
    is stored as fp16 (a multichannel CNN's
    two tables folded into one), so metrics are measured on this module or its export."""

    def __init__(self, model: nn.Module, temperature: float = 1.0):
        super().__init__()
        model = copy.deepcopy(model).eval()
        for single in networks(model):
            fold_to_half_embedding_(single)
        self.model, self.temperature = model, float(temperature)
        self.eval()  # torch.onnx.export restores the mode it found: keep dropout off after it

    def forward(self, ids: torch.Tensor):
        values, positions = self.model.pooled(ids)
        return self.outputs(values, positions, self.model.shares(ids, values, positions))

    def outputs(self, values: torch.Tensor, positions: torch.Tensor, shares: torch.Tensor) -> tuple:
        weight = self.model.out.weight
        logits = (values @ weight.t() + self.model.out.bias) / self.temperature
        return logits, positions, values.unsqueeze(1) * weight.unsqueeze(0), shares


class FusedPooling(nn.Module):
    """A KimCNN's pooled values, winning positions and shares from one matrix product instead of
    three convolutions and a second pass that gathers every winning window's embeddings.
    The padded sentence times all filters' weights at every offset gives each token's part
    w_k . x_t in every filter (one GEMM); a filter's response at window s is its bias plus the
    parts of tokens s..s+width-1 (shifted slices added), and its shares are the parts at the
    winning window (a gather from those parts)."""

    def __init__(self, model: KimCNN):
        super().__init__()
        self.model = model
        self.widths, self.pad, self.maps = model.widths, model.pad, model.convs[0].out_channels
        # columns: filter by filter, then offset k, then feature map
        self.register_buffer("parts_weight", torch.cat(
            [c.weight.detach().permute(1, 2, 0).reshape(c.in_channels, -1) for c in model.convs], 1))
        for i, conv in enumerate(model.convs):
            self.register_buffer(f"bias_{i}", conv.bias.detach().clone())

    def forward(self, ids: torch.Tensor):
        x = F.pad(self.model.embed(ids), (0, 0, self.pad, self.pad))
        parts = x @ self.parts_weight
        batch, length, column = x.shape[0], x.shape[1], 0
        values, positions, shares = [], [], []
        for i, width in enumerate(self.widths):
            p = parts[..., column:column + width * self.maps].reshape(batch, length, width, self.maps)
            column += width * self.maps
            windows = length - width + 1
            response = getattr(self, f"bias_{i}") + sum(p[:, k:k + windows, k] for k in range(width))
            best = F.relu(response).max(dim=1)
            where = best.indices.unsqueeze(1) + torch.arange(width, device=ids.device).unsqueeze(1)
            won = p.gather(1, where.unsqueeze(1)).squeeze(1).transpose(1, 2)  # (batch, maps, width)
            values.append(best.values)
            positions.append(best.indices)
            shares.append(F.pad(won, (0, max(self.widths) - width)))
        values = torch.cat(values, 1)
        lit = (values > 0).unsqueeze(-1)  # as KimCNN.shares: a feature at zero has no shares
        shares = torch.where(lit, torch.cat(shares, 1) / values.clamp_min(1e-6).unsqueeze(-1), 0.0)
        return values, torch.cat(positions, 1), shares


class FusedKimCNN(nn.Module):
    """What the Explained of a KimCNN or a KimCNNEnsemble exports: its outputs, each CNN's
    pooling fused (FusedPooling), 2.5x faster in onnxruntime."""

    def __init__(self, explained: Explained):
        super().__init__()
        self.explained = explained
        self.members = nn.ModuleList(FusedPooling(m) for m in networks(explained.model))

    def forward(self, ids: torch.Tensor):
        values, positions, shares = (torch.cat(t, 1) for t in zip(*(m(ids) for m in self.members)))
        return self.explained.outputs(values, positions, shares)


def build_model(kind: str, vocab_size: int, vectors: torch.Tensor | None = None,
                **hyper) -> nn.Module:
    """kind: "cnn-rand", "cnn-static", "cnn-non-static", "cnn-multichannel" or "bilstm"."""
    if kind == "bilstm":
        return BiLSTMClassifier(vocab_size, vectors=vectors, **hyper)
    if kind.startswith("cnn-"):
        return KimCNN(vocab_size, mode=kind[4:], vectors=vectors, **hyper)
    raise ValueError(f"unknown classifier {kind!r}")
