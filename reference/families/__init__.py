"""Built-in family modules; every module here defines ``FAMILIES`` (see gradekit.core.families).

``INDEX`` says which module defines each family, so grading a problem imports only its
family's module (tests/catalog/test_families_registry.py checks it against the modules).
"""

INDEX = {
    "activations.chain": "activations",
    "activations.dead_relu": "activations",
    "activations.derivative": "activations",
    "adaline.design": "adaline",
    "adaline.evaluate": "adaline",
    "backprop.mlp2": "backprop",
    "backprop.mlp2.derive": "backprop_derive",
    "batchnorm.backward": "batch_layers",
    "batchnorm.forward": "batchnorm",
    "conv.output_shape": "conv",
    "conv.solve_kernel": "conv",
    "conv1d.as_matrix": "conv1d_matrix",
    "conv1d.channels": "conv1d",
    "conv1d.output": "conv1d",
    "conv2d.channels": "conv",
    "conv2d.output": "conv",
    "conv_block.backprop": "conv_block",
    "conv_block.backprop.index": "conv_block_index",
    "counting.block": "counting",
    "counting.conv": "counting",
    "counting.layers": "counting",
    "counting.network": "counting",
    "linear.backward": "batch_layers",
    "lms": "lms",
    "madaline.design": "adaline",
    "manual": "truefalse",
    "module.torch_handout": "module_torch_handout",
    "rnn.bptt": "rnn",
    "softmax_ce.batch": "batch_layers",
    "softmax_ce.gradient": "softmax_gradient",
    "softmax_ce.sgd_step": "softmax_ce",
    "truefalse": "truefalse",
}
