"""Controllers of kube-controller-manager (and the scheduler), one module each."""
