"""Chapter 10's race as ``benchmarks/race.py`` recorded it on a CPU (written by it; do not edit).

``CURVES[task][contestant]``: the evaluation ``steps`` and the held-out exact match's ``mean``, ``min``
and ``max`` over three seeds; ``CHOSEN[task][contestant]``: its (learning rate, warm-up steps);
``SPEED[task][contestant]``: tokens per second, FLOPs per target token, parameters. Everything is in
``benchmarks/results/race-cpu.json`` too; this copy ships with lib, so that Colab has it.
"""

MEASURED = '2026-12-06'
CHOSEN = {
 "copy": {
  "GRU + attention": [
   0.008,
   0
  ],
  "Transformer": [
   0.008,
   40
  ]
 },
 "reversal": {
  "GRU + attention": [
   0.008,
   0
  ],
  "Transformer": [
   0.002,
   0
  ],
  "Transformer, positions from the end": [
   0.004,
   0
  ]
 },
 "dates": {
  "GRU + attention": [
   0.008,
   0
  ],
  "Transformer": [
   0.004,
   0
  ]
 }
}
SPEED = {
 "copy": {
  "GRU + attention": {
   "tokens_per_second": 12070,
   "flops_per_token": 1158599,
   "parameters": 137368
  },
  "Transformer": {
   "tokens_per_second": 14095,
   "flops_per_token": 1163036,
   "parameters": 134456
  }
 },
 "reversal": {
  "GRU + attention": {
   "tokens_per_second": 10951,
   "flops_per_token": 1158599,
   "parameters": 137368
  },
  "Transformer": {
   "tokens_per_second": 11650,
   "flops_per_token": 1163036,
   "parameters": 134456
  },
  "Transformer, positions from the end": {
   "tokens_per_second": 12837,
   "flops_per_token": 1163036,
   "parameters": 134456
  }
 },
 "dates": {
  "GRU + attention": {
   "tokens_per_second": 10964,
   "flops_per_token": 948829,
   "parameters": 137199
  },
  "Transformer": {
   "tokens_per_second": 11010,
   "flops_per_token": 1705972,
   "parameters": 135855
  }
 }
}
CURVES = {
 "copy": {
  "GRU + attention": {
   "steps": [
    50,
    100,
    150,
    200,
    250,
    300,
    350,
    400
   ],
   "mean": [
    0.3563,
    0.7021,
    0.7458,
    0.8396,
    0.8667,
    0.925,
    0.9521,
    0.9563
   ],
   "min": [
    0.3125,
    0.6687,
    0.7375,
    0.8,
    0.85,
    0.9062,
    0.95,
    0.9563
   ],
   "max": [
    0.4188,
    0.7438,
    0.75,
    0.8625,
    0.8875,
    0.95,
    0.9563,
    0.9563
   ],
   "first_reaching": {
    "0.5": [
     100,
     100,
     100
    ],
    "0.9": [
     300,
     300,
     300
    ],
    "0.99": [
     None,
     None,
     None
    ]
   }
  },
  "Transformer": {
   "steps": [
    50,
    100,
    150,
    200,
    250,
    300,
    350,
    400
   ],
   "mean": [
    0.0021,
    0.2625,
    0.5604,
    0.8396,
    0.9125,
    0.9604,
    0.9854,
    0.9958
   ],
   "min": [
    0.0,
    0.2,
    0.3438,
    0.7625,
    0.8375,
    0.95,
    0.9688,
    0.9938
   ],
   "max": [
    0.0063,
    0.375,
    0.7125,
    0.9062,
    0.975,
    0.9812,
    1.0,
    1.0
   ],
   "first_reaching": {
    "0.5": [
     200,
     150,
     150
    ],
    "0.9": [
     300,
     200,
     250
    ],
    "0.99": [
     400,
     350,
     400
    ]
   }
  }
 },
 "reversal": {
  "GRU + attention": {
   "steps": [
    50,
    100,
    150,
    200,
    250,
    300,
    350,
    400
   ],
   "mean": [
    0.3396,
    0.6271,
    0.7687,
    0.8604,
    0.9125,
    0.9458,
    0.9521,
    0.9625
   ],
   "min": [
    0.325,
    0.5813,
    0.7438,
    0.8187,
    0.9062,
    0.9375,
    0.9375,
    0.9563
   ],
   "max": [
    0.3688,
    0.6937,
    0.7875,
    0.8938,
    0.9187,
    0.95,
    0.9625,
    0.9688
   ],
   "first_reaching": {
    "0.5": [
     100,
     100,
     100
    ],
    "0.9": [
     250,
     250,
     250
    ],
    "0.99": [
     None,
     None,
     None
    ]
   }
  },
  "Transformer": {
   "steps": [
    50,
    100,
    150,
    200,
    250,
    300,
    350,
    400
   ],
   "mean": [
    0.0,
    0.0,
    0.0292,
    0.1542,
    0.3646,
    0.4917,
    0.6021,
    0.6562
   ],
   "min": [
    0.0,
    0.0,
    0.0187,
    0.075,
    0.2,
    0.375,
    0.5,
    0.55
   ],
   "max": [
    0.0,
    0.0,
    0.05,
    0.2,
    0.4875,
    0.5625,
    0.6625,
    0.7188
   ],
   "first_reaching": {
    "0.5": [
     350,
     300,
     300
    ],
    "0.9": [
     None,
     None,
     None
    ],
    "0.99": [
     None,
     None,
     None
    ]
   }
  },
  "Transformer, positions from the end": {
   "steps": [
    50,
    100,
    150,
    200,
    250,
    300,
    350,
    400
   ],
   "mean": [
    0.0,
    0.3833,
    0.5667,
    0.6854,
    0.8458,
    0.9333,
    0.9792,
    0.9792
   ],
   "min": [
    0.0,
    0.3312,
    0.4375,
    0.5563,
    0.8125,
    0.9,
    0.9625,
    0.9625
   ],
   "max": [
    0.0,
    0.4688,
    0.65,
    0.7562,
    0.8938,
    0.9625,
    0.9938,
    0.9875
   ],
   "first_reaching": {
    "0.5": [
     200,
     150,
     150
    ],
    "0.9": [
     300,
     300,
     300
    ],
    "0.99": [
     None,
     350,
     None
    ]
   }
  }
 },
 "dates": {
  "GRU + attention": {
   "steps": [
    50,
    100,
    150,
    200,
    250,
    300,
    350,
    400
   ],
   "mean": [
    0.57,
    0.9556,
    0.9967,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0
   ],
   "min": [
    0.2867,
    0.8833,
    0.99,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0
   ],
   "max": [
    0.7733,
    0.9933,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0,
    1.0
   ],
   "first_reaching": {
    "0.5": [
     50,
     100,
     50
    ],
    "0.9": [
     100,
     150,
     100
    ],
    "0.99": [
     100,
     150,
     100
    ]
   }
  },
  "Transformer": {
   "steps": [
    50,
    100,
    150,
    200,
    250,
    300,
    350,
    400
   ],
   "mean": [
    0.0189,
    0.3189,
    0.5744,
    0.79,
    0.88,
    0.9178,
    0.9567,
    0.9578
   ],
   "min": [
    0.01,
    0.2967,
    0.5267,
    0.7333,
    0.87,
    0.9033,
    0.9567,
    0.95
   ],
   "max": [
    0.0267,
    0.3467,
    0.6067,
    0.8333,
    0.89,
    0.9267,
    0.9567,
    0.9633
   ],
   "first_reaching": {
    "0.5": [
     150,
     150,
     150
    ],
    "0.9": [
     300,
     300,
     300
    ],
    "0.99": [
     None,
     None,
     None
    ]
   }
  }
 }
}
