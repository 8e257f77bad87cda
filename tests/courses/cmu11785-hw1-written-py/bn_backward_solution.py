"""mytorch's BatchNorm1d backward, term by term as the course's writeup derives it (Z is (N, C))."""

import numpy as np


# the parts each part is computed from (carried-forward credit names only those): dLdbeta from none
DEPENDS = {"dLdgamma": ["z_hat"], "dLdbeta": [], "dLdZ": ["z_hat"]}


def solve(params, given={}):
    Z = np.array(params["Z"], float)
    BW, dLdBZ = np.array(params["gamma"], float), np.array(params["dLdBZ"], float)
    eps = params.get("eps", 0.0)
    N = Z.shape[0]
    M, V = Z.mean(axis=0), Z.var(axis=0)
    NZ = (Z - M) / np.sqrt(V + eps)
    if "z_hat" in given:
        NZ = np.array(given["z_hat"], float)
    dLdBW = (dLdBZ * NZ).sum(axis=0)
    dLdBb = dLdBZ.sum(axis=0)
    dLdNZ = dLdBZ * BW
    dLdV = (dLdNZ * (Z - M) * -0.5 * (V + eps) ** -1.5).sum(axis=0)
    dLdM = -(dLdNZ / np.sqrt(V + eps)).sum(axis=0) - 2 / N * dLdV * (Z - M).sum(axis=0)
    if "z_hat" in given:  # the input's gradient from the student's own NZ, in the form that uses NZ
        dLdZ = (N * dLdNZ - dLdNZ.sum(axis=0) - NZ * (dLdNZ * NZ).sum(axis=0)) / (N * np.sqrt(V + eps))
    else:
        dLdZ = dLdNZ / np.sqrt(V + eps) + dLdV * 2 * (Z - M) / N + dLdM / N
    return {"z_hat": NZ, "dLdgamma": dLdBW, "dLdbeta": dLdBb, "dLdZ": dLdZ}


def mistakes(params):
    from gradekit.plugin import Mistake

    Z = np.array(params["Z"], float)
    BW, dLdBZ = np.array(params["gamma"], float), np.array(params["dLdBZ"], float)
    eps, N = params.get("eps", 0.0), Z.shape[0]
    dLdNZ = dLdBZ * BW
    found = [Mistake("statistics_treated_as_constants", "M and V depend on every example: dLdZ is not dLdNZ / sqrt(V + eps)",
                     {"dLdZ": dLdNZ / np.sqrt(Z.var(axis=0) + eps)})]
    sd = np.sqrt(Z.var(axis=0, ddof=1) + eps)  # the sample variance, 1/(N - 1)
    NZ = (Z - Z.mean(axis=0)) / sd
    found.append(Mistake("sample_variance", "the variance divides by N - 1; batch norm in training uses 1/N",
                         {"z_hat": NZ, "dLdgamma": (dLdBZ * NZ).sum(axis=0),
                          "dLdZ": (N * dLdNZ - dLdNZ.sum(axis=0) - NZ * (dLdNZ * NZ).sum(axis=0)) / (N * sd)}))
    return found
