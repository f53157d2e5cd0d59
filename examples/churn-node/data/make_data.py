"""Makes data/train.csv and data/test.csv: synthetic churn data from a fixed seed.

    python3 data/make_data.py   # rewrites both files, byte for byte the same every time
"""
import csv, math, os, random

random.seed(20261123)
here = os.path.dirname(os.path.abspath(__file__))

def rows(count):
    for _ in range(count):
        tenure = random.randint(1, 72)
        contract = random.choice(["monthly", "monthly", "yearly"])
        charges = round(random.uniform(20, 110), 2)
        logit = 0.8 - 0.06 * tenure + 1.4 * (contract == "monthly") + 0.015 * (charges - 60)
        churned = int(random.random() < 1 / (1 + math.exp(-logit)))
        yield [tenure, contract, charges, churned]

for name, count in [("train.csv", 600), ("test.csv", 300)]:
    with open(os.path.join(here, name), "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["tenure", "contract", "monthly_charges", "churned"])
        writer.writerows(rows(count))
