"""A student's answers to ECE 661 homework 1: mostly right, with typical mistakes.

`gradekit check examples/ece661-hw1-answers.py` grades it; `make demo` does too.
The mistakes, each of which gradekit names:
- q3.2: the ½ of the loss dropped, dL/dW1 transposed, dL/dW2 with the sign flipped;
- q4.1: no zero padding (the output has the wrong shape);
- lab2b: the biases counted in conv1's parameters;
- q2.2: weights that do not realise NAND;
- lab1: MSE(W*) rounded to two significant digits (too few to judge by rounding).
"""

ASSIGNMENT = "ece661-hw1"

ANSWERS = {
    "q1": {
        "1.1": False,
        "1.1 why": "Convolutions share weights, so they have fewer parameters, not more.",
        "1.2": False,
        "1.2 why": "A larger kernel with more padding keeps the output size.",
        "1.3": True,
        "1.4": True,
        "1.5": True,  # wrong: training a Madaline depends on the initial weights
    },
    "q2.1": {"s": [-1, 1, 3, 5], "y": [-1, 1, 1, 1], "function": "logical or"},
    "q2.2": {"w": [1, 1, -1], "s": [-1, 1, -1, 1]},
    "q2.3": {"w": [0, 1, 1, 1], "s": [-3, -1, -1, 1, -1, 1, 1, 3]},
    "q2.4": {"w2": [1, -1, -1], "s": [-1, 1, 1, -1]},
    "q3.2": {
        "L": 232,
        "dL/dW1": [[0, 34], [0, 34], [0, -34]],
        "dL/dW2": [[0, -98], [0, -42]],
        "dL/db1": [0, 34],
        "dL/db2": [14, 6],
    },
    "q4.1": {
        "output": [
            [0, 1, 0, 0, 0, -1, 0],
            [1, 1, 0.5, 0, -0.5, -1, -1],
            [0, 1, 0, 0, 0, -1, 0],
        ],
    },
    "lab1": {
        "W_star": [0.99843, 0.99864, -1.99900],
        "mse_star": 9.9e-05,
        "diverges": True,
    },
    "lab2b": {
        "conv1.input_shape": [1, 3, 32, 32],
        "conv1.output_shape": [1, 16, 32, 32],
        "conv1.weight_shape": [16, 3, 5, 5],
        "conv1.params": 1216,
        "conv1.macs": 1228800,
        "conv2.output_shape": "1x16x17x17",
        "fc1.params": 9216,
    },
}
