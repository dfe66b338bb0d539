"""Trust and risk: signals with device/network context, features, rules and an anomaly score, cases,
actions with due process (appeals), and hot-path checks that never block a checkout."""
