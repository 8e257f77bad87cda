# ECE 449 assignment 2, task 2: a course-style solution of task2_template.py (get_DNN as the template's
# get_correct_DNN_shape_str prints it, task 1's network without biases; train_torch with the template's
# pre-filled lines kept and the gradient step written), the data and the score of the run notebook's training
# (notebook_data, notebook_accuracy), and the variants of train_torch whose values name a mistake (or a change
# of the template's lines that costs nothing).
import torch
from torch import nn
import numpy as np


def get_DNN():
    net = nn.Sequential(nn.Linear(3, 2, bias=False), nn.ReLU(), nn.Linear(2, 1, bias=False))
    return net


def train_torch(net, dataset_X, dataset_y, num_epochs, lr, batch_size):
    if len(net) > 0:
        trainer = torch.optim.SGD(net.parameters(), lr=lr)
    loss = nn.MSELoss(reduction='sum')
    W_list, K_list = [], []
    if isinstance(net, torch.nn.Module):
        net = net.double()
        net = net.apply(init_weights)
        net.train()
    print_net_params_and_acc(net, dataset_X, dataset_y, before_training=True)
    dataset_size = len(dataset_y)
    for epoch in range(num_epochs):
        for batch_idx in range(int(np.ceil(dataset_size/batch_size))):
            start_idx = batch_idx * batch_size
            end_idx = min((batch_idx+1)*batch_size, dataset_size-1)
            X = torch.from_numpy(dataset_X[start_idx:end_idx]).double()
            y = torch.from_numpy(dataset_y[start_idx:end_idx, np.newaxis]).double()
            trainer.zero_grad()
            l = loss(net(X), y)
            l.backward()
            trainer.step()
        if len(net) >= 2:
            # copies: the lists hold each epoch's weights, as the template's comment says (its own lines append
            # views of the net's weights, so every entry is the last epoch's)
            W_list.append(net[0].weight.detach().numpy().copy())
            K_list.append(net[2].weight.detach().numpy()[0].copy())
    return W_list, K_list


def print_net_params_and_acc(net, dataset_X, dataset_y, before_training=True):
    if len(net) == 0:
        return
    if before_training:
        print("Before training: \nThe initial W is:\n")
        print(net[0].weight.detach().numpy())
        print("\nThe initial K is:\n")
        print(net[2].weight.detach().numpy()[0])
        print("The accuracy before training is:",
              accuracy(net(torch.from_numpy(dataset_X).double()),
                       torch.from_numpy(dataset_y[:, np.newaxis]).double()), end='\n\n')
    else:
        print("After training: \nThe trained W is:\n")
        print(net[0].weight.detach().numpy())
        print("\nThe trained K is:\n")
        print(net[2].weight.detach().numpy()[0])
        print("The accuracy after training is:",
              accuracy(net(torch.from_numpy(dataset_X).double()),
                       torch.from_numpy(dataset_y[:, np.newaxis]).double()), end='\n\n')


def accuracy(y_hat, y):
    if y_hat.min() == 0:
        y_hat[y_hat > 0] = 1
        y_hat[y_hat <= 0] = -1
    else:
        y_hat[y_hat >= 0] = 1
        y_hat[y_hat < 0] = -1
    return float((y_hat == y).sum())/len(y)


def init_weights(m):
    if type(m) == nn.Linear:
        torch.nn.init.uniform_(m.weight, -0.2, 0.2)


def get_correct_DNN_shape_str():
    return """Linear output shape: \t torch.Size([10, 2])
ReLU output shape: \t torch.Size([10, 2])
Linear output shape: \t torch.Size([10, 1])"""


# --- what the spec's checks use beside the template's functions ---------------------------------------------
def notebook_data(num_samples=400, seed=449):
    """The run notebook's kind of data, as task 1's solution serves it: 400 samples in two separable clusters,
    standardised, labels +1 and -1 (the notebook draws from the global generator; this one is seeded)."""
    rng = np.random.default_rng(seed)
    half = int(np.ceil(num_samples / 2))
    c1 = rng.uniform(-3, 6, size=3)
    c2 = c1 - rng.choice([-1, 1], 3) * rng.uniform(2, 4, size=3)
    X = np.vstack([rng.uniform(-1, 1, (half, 3)) + c1, rng.uniform(-1, 1, (num_samples - half, 3)) + c2])
    y = np.where(np.arange(num_samples) < half, 1.0, -1.0)
    order = rng.permutation(num_samples)
    return (X[order] - X[order].mean(axis=0)) / X[order].std(axis=0), y[order]


def notebook_accuracy(dataset_X, dataset_y, W, K):
    """The accuracy the run notebook prints after training (print_net_params_and_acc), of the network holding
    the trained W (2x3) and K (2,)."""
    net = get_DNN().double()
    with torch.no_grad():
        net[0].weight.copy_(torch.from_numpy(np.asarray(W, dtype=np.float64)))
        net[2].weight.copy_(torch.from_numpy(np.asarray(K, dtype=np.float64)).reshape(1, 2))
        return accuracy(net(torch.from_numpy(dataset_X).double()),
                        torch.from_numpy(dataset_y[:, np.newaxis]).double())


def train_torch_mean_loss(net, dataset_X, dataset_y, num_epochs, lr, batch_size):
    """train_torch on nn.MSELoss(), the mean over the batch, where the template has reduction='sum'."""
    return _train_on(nn.MSELoss(), net, dataset_X, dataset_y, num_epochs, lr, batch_size)


def train_torch_task1_loss(net, dataset_X, dataset_y, num_epochs, lr, batch_size):
    """train_torch on task 1's loss, mean(1/2 (y - O)^2), where the template has nn.MSELoss(reduction='sum')."""
    half_mean = nn.MSELoss()
    return _train_on(lambda O, y: half_mean(O, y) / 2, net, dataset_X, dataset_y, num_epochs, lr, batch_size)


def train_torch_every_sample(net, dataset_X, dataset_y, num_epochs, lr, batch_size):
    """train_torch whose loop uses the last sample too (end_idx up to dataset_size): accepted, at no cost."""
    return _train_on(nn.MSELoss(reduction='sum'), net, dataset_X, dataset_y, num_epochs, lr, batch_size, stop=0)


def _train_on(loss, net, dataset_X, dataset_y, num_epochs, lr, batch_size, stop=1):
    """The template's loop as train_torch runs it, on another loss; its batches end ``stop`` samples short of
    the data's end (the template's end_idx: 1)."""
    trainer = torch.optim.SGD(net.parameters(), lr=lr)
    net = net.double().apply(init_weights)
    W_list, K_list = [], []
    dataset_size = len(dataset_y)
    for epoch in range(num_epochs):
        for batch_idx in range(int(np.ceil(dataset_size/batch_size))):
            start_idx = batch_idx * batch_size
            end_idx = min((batch_idx+1)*batch_size, dataset_size-stop)
            X = torch.from_numpy(dataset_X[start_idx:end_idx]).double()
            y = torch.from_numpy(dataset_y[start_idx:end_idx, np.newaxis]).double()
            trainer.zero_grad()
            loss(net(X), y).backward()
            trainer.step()
        W_list.append(net[0].weight.detach().numpy().copy())
        K_list.append(net[2].weight.detach().numpy()[0].copy())
    return W_list, K_list
