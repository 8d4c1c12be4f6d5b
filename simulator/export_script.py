"""The same training in PyTorch or Keras: a short script that a learner can read and run.

The script holds the session's data (the rows training sees) and its parameters as literals, builds
the same network in float64, visits the rows in the engine's own order (the training rows of a
held-out split; a shuffle is the engine's `default_rng([seed, epoch]).permutation`, reproduced with
numpy), takes the same batches with the same optimiser (the matching torch.optim class; Keras: SGD)
at the same learning rate from epoch 1, and prints the mean loss of every epoch (and the held-out
loss) and the final parameters under their lectures' names, as `backprop-sim train` computes them
(with `--restart` for a file saved mid-training).
"""

from __future__ import annotations

from dataclasses import replace

from .errors import ConfigError
from .formatting import format_number
from .optimizers import Optimizer
from .session import Session, write_atomically
from .training import Training

FRAMEWORKS = ("pytorch", "keras")

#: Each activation as the script writes it (`{}` is the layer's weighted sum).
_TORCH_ACTIVATIONS = {"linear": "{}", "sigmoid": "torch.sigmoid({})", "tanh": "torch.tanh({})",
                      "relu": "torch.relu({})", "softmax": "torch.softmax({}, dim=1)"}
_KERAS_ACTIVATIONS = ("linear", "sigmoid", "tanh", "relu", "softmax")
#: Each loss of one sample as the script writes it: lines of a function of (y_hat, y), `(n,)`.
_TORCH_LOSSES = {
    "mse": ["return ((y - y_hat) ** 2).mean(dim=1)"],
    "half_sse": ["return 0.5 * ((y - y_hat) ** 2).sum(dim=1)"],
    "bce": ["p = torch.clamp(y_hat, 1e-7, 1 - 1e-7)   # as the simulator (and Keras) clip ŷ",
            "return -(y * torch.log(p) + (1 - y) * torch.log(1 - p)).mean(dim=1)"],
    "cross_entropy": ["# −Σk yk·log(ŷk); a term with yk = 0 is left out",
                      "return -torch.where(y != 0, y * torch.log(y_hat), torch.zeros_like(y_hat)).sum(dim=1)"],
}
_KERAS_LOSSES = {
    "mse": ["return ops.mean(ops.square(y - y_hat), axis=-1)"],
    "half_sse": ["return 0.5 * ops.sum(ops.square(y - y_hat), axis=-1)"],
    "bce": ["p = ops.clip(y_hat, 1e-7, 1 - 1e-7)   # as the simulator (and Keras) clip ŷ",
            "return -ops.mean(y * ops.log(p) + (1 - y) * ops.log(1 - p), axis=-1)"],
    "cross_entropy": ["# −Σk yk·log(ŷk); a term with yk = 0 is left out",
                      "return -ops.sum(ops.where(y != 0, y * ops.log(y_hat), 0.0), axis=-1)"],
}


def from_epoch_one(session: Session) -> Session:
    """The session trained again from epoch 1 with the parameters it holds (`train --restart`): a file
    saved mid-training keeps how far it got, which a script starting its own loop does not continue."""
    return session if session.progress is None else replace(session, progress=None)


def _torch_optimizer(optimizer: Optimizer, rate: float) -> str:
    """The torch.optim class with the session's settings (the engine's rules are PyTorch's)."""
    options = [f"lr={rate!r}"]
    if optimizer.name == "sgd":
        options += [f"momentum={optimizer.momentum!r}"] if optimizer.momentum else []
        options += ["nesterov=True"] if optimizer.nesterov else []
    elif optimizer.name == "rmsprop":
        options += [f"alpha={optimizer.alpha!r}", f"eps={optimizer.eps!r}"]
    else:
        options += [f"betas=({optimizer.beta1!r}, {optimizer.beta2!r})", f"eps={optimizer.eps!r}"]
    options += [f"weight_decay={optimizer.weight_decay!r}"] if optimizer.weight_decay else []
    name = {"sgd": "SGD", "rmsprop": "RMSprop", "adam": "Adam"}[optimizer.name]
    return f"torch.optim.{name}([p for layer in layers for p in layer], {', '.join(options)})"


def _keras_optimizer(optimizer: Optimizer, rate: float) -> str:
    options = [f"learning_rate={rate!r}"]
    options += [f"momentum={optimizer.momentum!r}"] if optimizer.momentum else []
    options += ["nesterov=True"] if optimizer.nesterov else []
    return f"keras.optimizers.SGD({', '.join(options)})"


def _check(session: Session, training: Training, framework: str) -> None:
    if framework not in FRAMEWORKS:
        raise ConfigError(f"framework must be one of {', '.join(FRAMEWORKS)}, not {framework!r}")
    config = session.training
    if config.update_rule != "simultaneous":
        raise ConfigError("the in-place update rule is a mistake no framework makes; choose the simultaneous "
                          "rule (gradient descent) to export a script")
    optimizer = config.optimizer
    if optimizer.name not in ("sgd", "rmsprop", "adam"):
        raise ConfigError(f"the optimizer {optimizer.name!r} cannot be written as a {framework} script yet")
    if framework == "keras" and (optimizer.name != "sgd" or optimizer.weight_decay):
        raise ConfigError(f"Keras' {'weight decay' if optimizer.name == 'sgd' else optimizer.rule.title} does not "
                          "compute what the simulator's (PyTorch's) does (Keras places ε differently and decays "
                          "weights apart from the gradient); export a PyTorch script, or use SGD without weight decay")
    losses = _TORCH_LOSSES if framework == "pytorch" else _KERAS_LOSSES
    if session.loss not in losses:
        raise ConfigError(f"the loss {session.loss!r} cannot be written as a {framework} script yet")
    for index, layer in enumerate(session.network.layers, start=1):
        if layer.activation not in _TORCH_ACTIVATIONS:
            raise ConfigError(f"layer {index}: the activation {layer.activation!r} cannot be written as a "
                              f"{framework} script yet")


def _matrix(rows) -> str:
    """A list of lists of floats as Python source, one row a line, every float exactly (its repr)."""
    lines = ",\n".join("    [" + ", ".join(repr(float(value)) for value in row) + "]" for row in rows)
    return "[\n" + lines + ",\n]"


def _vector(values) -> str:
    return "[" + ", ".join(repr(float(value)) for value in values) + "]"


def _header(session: Session, training: Training, framework: str) -> list[str]:
    network, config = session.network, session.training
    shape = "-".join(str(size) for size in network.sizes)
    activations = ", ".join(layer.activation for layer in network.layers)
    batch = "the whole dataset" if config.batch_size == 0 else str(training.batch_size)
    order = "in order" if config.order == "sequential" else f"shuffled each epoch (seed {config.seed})"
    split = (f"; {len(training.held_out_rows)} rows held out (validation {format_number(config.validation)}, "
             f"seed {config.validation_seed})" if training.held_out_rows.size else "")
    title = session.title or "Untitled session"
    name = "PyTorch" if framework == "pytorch" else "Keras"
    rule = "" if config.optimizer.plain else f", optimizer {config.optimizer.describe()}"
    return ['"""' + f"{title}: the simulator's training, in {name}.", "",
            f"Network {shape} ({activations}), {training.loss.title}, learning rate "
            f"{format_number(config.learning_rate, 17)}{rule},",
            f"{config.epochs} epochs, batch size {batch}, samples {order}{split}.",
            "Run it with Python; it prints the mean loss of every epoch and the final parameters,",
            "the numbers `backprop-sim train --json` gives for the same session.",
            '"""', ""]


def _data_lines(session: Session, training: Training, array: str) -> list[str]:
    dataset = session.dataset
    scaled = "  (inputs standardised, as the session asks)" if session.standardise else ""
    return [f"# The rows: inputs {', '.join(dataset.inputs)}; targets {', '.join(dataset.targets)}{scaled}.",
            f"X = {array}({_matrix(training.X)})", f"Y = {array}({_matrix(training.Y)})", ""]


def _order_lines(session: Session, training: Training) -> list[str]:
    config = session.training
    lines = [f"TRAINING_ROWS = np.array({training.training_rows.tolist()})"
             + ("   # the rows not held out" if training.held_out_rows.size else ""),
             f"BATCH_SIZE = {training.batch_size}", f"EPOCHS = {config.epochs}", "", "",
             "def order(epoch):", '    """The rows epoch `epoch` (from 0) visits, in the simulator\'s order."""']
    if config.order == "sequential":
        lines.append("    return TRAINING_ROWS")
    else:
        lines.append(f"    shuffle = np.random.default_rng([{config.seed}, epoch]).permutation(len(TRAINING_ROWS))")
        lines.append("    return TRAINING_ROWS[shuffle]")
    return lines + ["", ""]


def _names_lines() -> list[str]:
    return ["def name(letter, *indices):",
            '    """The lectures\' names: w111, b21 (indices joined by _ when one is 10 or more)."""',
            '    return letter + ("_" if max(indices) >= 10 else "").join(str(index) for index in indices)', "", ""]


def _convergence_lines(session: Session, indent: str, flat: str) -> list[str]:
    """The simulator's stop on convergence, when the session sets a tolerance."""
    config = session.training
    if config.tolerance <= 0:
        return []
    tolerance = repr(float(config.tolerance))
    if config.convergence == "parameters":
        return [f"{indent}now = {flat}",
                f"{indent}if np.abs(now - start).max() < {tolerance}:   # converged: parameters barely moved",
                f"{indent}    break", f"{indent}start = now"]
    return [f"{indent}if len(history) >= 2 and abs(history[-1] - history[-2]) < {tolerance}:   # converged",
            f"{indent}    break"]


def pytorch_script(session: Session) -> str:
    """A runnable PyTorch script that trains `session` (from its current parameters) as the engine does."""
    session = from_epoch_one(session)
    training = session.copy().make_training()
    _check(session, training, "pytorch")
    network = session.network
    lines = _header(session, training, "pytorch")
    lines += ["import math", "", "import numpy as np", "import torch", "",
              "torch.set_default_dtype(torch.float64)", ""]
    lines += _data_lines(session, training, "torch.tensor")
    lines += ["# The parameters: W[i][j] is the weight from input (or neuron) i to neuron j of the layer."]
    for index, layer in enumerate(network.layers, start=1):
        lines += [f"W{index} = torch.tensor({_matrix(layer.weights)}, requires_grad=True)",
                  f"b{index} = torch.tensor({_vector(layer.biases)}, requires_grad=True)"]
    count = len(network.layers)
    lines += ["layers = [" + ", ".join(f"(W{k}, b{k})" for k in range(1, count + 1)) + "]",
              f"optimizer = {_torch_optimizer(session.training.optimizer, session.training.learning_rate)}",
              "", "", "def forward(x):",
              '    """ŷ of a batch of rows: z = x·W + b, then the activation, layer by layer."""']
    previous = "x"
    for index, layer in enumerate(network.layers, start=1):
        out = "y_hat" if index == count else f"o{index}"
        lines.append(f"    {out} = {_TORCH_ACTIVATIONS[layer.activation].format(f'{previous} @ W{index} + b{index}')}"
                     f"   # layer {index}: {layer.activation}")
        previous = out
    lines += ["    return y_hat", "", "", "def sample_losses(y_hat, y):",
              f'    """The loss of each sample of a batch: {training.loss.title}."""']
    lines += ["    " + line for line in _TORCH_LOSSES[session.loss]]
    lines += ["", ""] + _order_lines(session, training) + _names_lines()
    lines += ["def flat():", "    return np.concatenate([p.detach().numpy().ravel() for layer in layers for p in layer])",
              "", "", "history, start = [], flat()", "for epoch in range(EPOCHS):", "    losses = []",
              "    rows = order(epoch)", "    for first in range(0, len(rows), BATCH_SIZE):",
              "        batch = torch.as_tensor(rows[first:first + BATCH_SIZE])",
              "        optimizer.zero_grad()",
              "        batch_losses = sample_losses(forward(X[batch]), Y[batch])   # before the update",
              "        batch_losses.mean().backward()   # the gradient is the mean over the batch",
              "        optimizer.step()", "        losses += batch_losses.tolist()",
              "    history.append(math.fsum(losses) / len(losses))",
              '    print(f"epoch {epoch + 1}: mean loss {history[-1]!r}")']
    if training.held_out_rows.size:
        lines += [f"    held_out = torch.as_tensor({training.held_out_rows.tolist()})",
                  "    with torch.no_grad():",
                  "        held_out_losses = sample_losses(forward(X[held_out]), Y[held_out]).tolist()",
                  '    print(f"epoch {epoch + 1}: held-out loss {math.fsum(held_out_losses) / len(held_out_losses)!r}")']
    lines += _convergence_lines(session, "    ", "flat()")
    lines += ["", 'print("final parameters:")', "for number, (W, b) in enumerate(layers, start=1):",
              "    for target in range(W.shape[1]):", "        for source in range(W.shape[0]):",
              '            print(f"{name(\'w\', number, source + 1, target + 1)} = {W[source, target].item()!r}")',
              '        print(f"{name(\'b\', number, target + 1)} = {b[target].item()!r}")', ""]
    return "\n".join(lines)


def keras_script(session: Session) -> str:
    """A runnable Keras script (plain SGD, the same batches in the same order, the weights set as the
    lecture sets them) that trains `session` as the engine does."""
    session = from_epoch_one(session)
    training = session.copy().make_training()
    _check(session, training, "keras")
    network = session.network
    lines = _header(session, training, "keras")
    lines += ["import math", "", "import keras", "import numpy as np", "from keras import ops", "",
              'keras.backend.set_floatx("float64")', ""]
    lines += _data_lines(session, training, "np.array")
    lines += [f"model = keras.Sequential([keras.Input(shape=({network.n_inputs},))] + ["]
    lines += [f'    keras.layers.Dense({layer.n_out}, activation="{layer.activation}"),' for layer in network.layers]
    lines += ["])", "# The weights as the simulator holds them (as the lecture sets them, replacing Keras' random start):",
              "# W[i][j] is the weight from input (or neuron) i to neuron j of the layer."]
    for index, layer in enumerate(network.layers):
        lines.append(f"model.layers[{index}].set_weights([np.array({_matrix(layer.weights)}), "
                     f"np.array({_vector(layer.biases)})])")
    lines += ["", "", "def sample_losses(y, y_hat):", f'    """The loss of each sample of a batch: {training.loss.title}."""']
    lines += ["    " + line for line in _KERAS_LOSSES[session.loss]]
    lines += ["", "", f"model.compile(optimizer={_keras_optimizer(session.training.optimizer, session.training.learning_rate)}, "
              "loss=sample_losses)", ""]
    lines += _order_lines(session, training) + _names_lines()
    lines += ["def flat():", "    return np.concatenate([array.ravel() for array in model.get_weights()])", "", "",
              "history, start = [], flat()", "for epoch in range(EPOCHS):", "    losses = []",
              "    rows = order(epoch)", "    for first in range(0, len(rows), BATCH_SIZE):",
              "        batch = rows[first:first + BATCH_SIZE]",
              "        y_hat = model(X[batch])   # before the update",
              "        losses += ops.convert_to_numpy(sample_losses(ops.convert_to_tensor(Y[batch]), y_hat)).tolist()",
              "        model.train_on_batch(X[batch], Y[batch])   # one SGD step on the batch's mean loss",
              "    history.append(math.fsum(losses) / len(losses))",
              '    print(f"epoch {epoch + 1}: mean loss {history[-1]!r}")']
    if training.held_out_rows.size:
        lines += [f"    held_out = np.array({training.held_out_rows.tolist()})",
                  "    held_out_losses = ops.convert_to_numpy(",
                  "        sample_losses(ops.convert_to_tensor(Y[held_out]), model(X[held_out]))).tolist()",
                  '    print(f"epoch {epoch + 1}: held-out loss {math.fsum(held_out_losses) / len(held_out_losses)!r}")']
    lines += _convergence_lines(session, "    ", "flat()")
    lines += ["", 'print("final parameters:")', "for number, layer in enumerate(model.layers, start=1):",
              "    W, b = layer.get_weights()", "    for target in range(W.shape[1]):",
              "        for source in range(W.shape[0]):",
              '            print(f"{name(\'w\', number, source + 1, target + 1)} = {float(W[source, target])!r}")',
              '        print(f"{name(\'b\', number, target + 1)} = {float(b[target])!r}")', ""]
    return "\n".join(lines)


def write_script(session: Session, path, framework: str) -> None:
    """Write the `framework` (pytorch or keras) script of `session` to `path`, atomically."""
    text = pytorch_script(session) if framework == "pytorch" else keras_script(session)
    write_atomically(path, text)
