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
   0.004,
   0
  ]
 },
 "reversal": {
  "GRU + attention": [
   0.004,
   0
  ],
  "Transformer": [
   0.004,
   0
  ],
  "Transformer, positions from the end": [
   0.008,
   40
  ]
 },
 "dates": {
  "GRU + attention": [
   0.016,
   0
  ],
  "Transformer": [
   0.008,
   40
  ]
 }
}
SPEED = {
 "copy": {
  "GRU + attention": {
   "tokens_per_second": 11996,
   "flops_per_token": 1158599,
   "parameters": 137368
  },
  "Transformer": {
   "tokens_per_second": 16647,
   "flops_per_token": 1163036,
   "parameters": 134456
  }
 },
 "reversal": {
  "GRU + attention": {
   "tokens_per_second": 13202,
   "flops_per_token": 1158599,
   "parameters": 137368
  },
  "Transformer": {
   "tokens_per_second": 17132,
   "flops_per_token": 1163036,
   "parameters": 134456
  },
  "Transformer, positions from the end": {
   "tokens_per_second": 16633,
   "flops_per_token": 1163036,
   "parameters": 134456
  }
 },
 "dates": {
  "GRU + attention": {
   "tokens_per_second": 10564,
   "flops_per_token": 948829,
   "parameters": 137199
  },
  "Transformer": {
   "tokens_per_second": 11412,
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
    0.0042,
    0.325,
    0.4375,
    0.7812,
    0.8542,
    0.9271,
    0.9583,
    0.9813
   ],
   "min": [
    0.0,
    0.225,
    0.3312,
    0.725,
    0.8063,
    0.9062,
    0.9375,
    0.975
   ],
   "max": [
    0.0063,
    0.3812,
    0.5125,
    0.8812,
    0.9437,
    0.9625,
    0.9938,
    0.9938
   ],
   "first_reaching": {
    "0.5": [
     200,
     200,
     150
    ],
    "0.9": [
     300,
     300,
     250
    ],
    "0.99": [
     None,
     None,
     350
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
    0.1542,
    0.6146,
    0.8187,
    0.875,
    0.9083,
    0.95,
    0.9646,
    0.9646
   ],
   "min": [
    0.1313,
    0.5875,
    0.7875,
    0.8688,
    0.8938,
    0.9187,
    0.9375,
    0.9375
   ],
   "max": [
    0.1875,
    0.6625,
    0.8375,
    0.8812,
    0.9313,
    0.9688,
    0.9812,
    0.9812
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
    0.0,
    0.0,
    0.1167,
    0.4042,
    0.5333,
    0.7812,
    0.8958,
    0.9208
   ],
   "min": [
    0.0,
    0.0,
    0.075,
    0.25,
    0.4,
    0.75,
    0.875,
    0.8875
   ],
   "max": [
    0.0,
    0.0,
    0.1875,
    0.525,
    0.6312,
    0.8063,
    0.9125,
    0.9437
   ],
   "first_reaching": {
    "0.5": [
     250,
     200,
     300
    ],
    "0.9": [
     400,
     350,
     350
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
    0.2833,
    0.6,
    0.7333,
    0.9021,
    0.9604,
    0.9854,
    0.9854
   ],
   "min": [
    0.0,
    0.175,
    0.425,
    0.5687,
    0.8,
    0.925,
    0.9688,
    0.9688
   ],
   "max": [
    0.0,
    0.3438,
    0.75,
    0.9062,
    0.9625,
    0.9938,
    0.9938,
    0.9938
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
     None,
     300,
     350
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
    0.8522,
    0.9833,
    0.9956,
    0.9989,
    0.9989,
    0.9989,
    0.9989,
    0.9989
   ],
   "min": [
    0.7067,
    0.9667,
    0.99,
    0.9967,
    0.9967,
    0.9967,
    0.9967,
    0.9967
   ],
   "max": [
    0.94,
    0.9967,
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
     50,
     50
    ],
    "0.9": [
     50,
     100,
     50
    ],
    "0.99": [
     100,
     150,
     150
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
    0.0011,
    0.28,
    0.5411,
    0.7556,
    0.9111,
    0.9489,
    0.9722,
    0.9767
   ],
   "min": [
    0.0,
    0.2133,
    0.51,
    0.7333,
    0.8867,
    0.9433,
    0.9667,
    0.9733
   ],
   "max": [
    0.0033,
    0.33,
    0.5733,
    0.7667,
    0.9233,
    0.9567,
    0.9767,
    0.9833
   ],
   "first_reaching": {
    "0.5": [
     150,
     150,
     150
    ],
    "0.9": [
     300,
     250,
     250
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
