"""``workbench demo``: an honest, clearly labelled simulation of a credit-default application
running the whole loop — training behind an approval gate, champion and challenger served
with a canary split, traffic replayed, drift and canary alerts at the injected change,
retraining, and the KPI impact of each deployment — so that every role view has something
real to show before anyone brings their own data.
"""

from workbench.demo.run import DemoSummary, run_demo

__all__ = ["DemoSummary", "run_demo"]
