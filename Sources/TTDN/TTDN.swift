import PQ
