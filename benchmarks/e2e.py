"""placeholder"""


def run_e2e(args):
    raise NotImplementedError
