;; f32x4 kernels of the wasm-simd backend (WebAssembly SIMD, fixed-width 128-bit proposal,
;; standardised in WebAssembly 2.0). Compiled by scripts/build-wasm.mjs with wabt; the bytes are
;; embedded in kernels.generated.ts and test/wasm-bytes.test.ts checks they match this source.
;;
;; All pointers are byte offsets into the exported memory; the JS side (src/wasm/module.ts)
;; lays out the buffers, rounds every buffer up to 16 bytes and grows the memory.
;;
;; Matmul is the packed GEMM of Goto & van de Geijn (2008): A is packed into panels of 4 rows
;; ([m/4][k][4]) and B into panels of 8 columns ([n/8][k][8]), zero-padded, so one 4×8
;; micro-kernel with 8 vector accumulators covers every shape; the k loop is blocked by 256 and
;; the row panels by 16 so an A block (64×256 floats) stays in L2 while B panels stream.
(module
  (memory (export "memory") 1)

  ;; ---- packing -------------------------------------------------------------------------
  ;; dst[(ib*k + p)*4 + t] = op(A)[row0 + ib*4 + t][p] for t < 4 (0 past `rows`).
  ;; op(A) is A (m×k, row-major) or, with trans, the transpose of the stored k×m matrix.
  (func (export "pack_a") (param $src i32) (param $dst i32) (param $m i32) (param $k i32)
        (param $row0 i32) (param $rows i32) (param $trans i32)
    (local $ib i32) (local $nbk i32) (local $p i32) (local $t i32) (local $i i32) (local $d i32)
    (local.set $nbk (i32.shr_u (i32.add (local.get $rows) (i32.const 3)) (i32.const 2)))
    (local.set $d (local.get $dst))
    (local.set $ib (i32.const 0))
    (block $done (loop $lib
      (br_if $done (i32.ge_u (local.get $ib) (local.get $nbk)))
      (local.set $p (i32.const 0))
      (block $pd (loop $lp
        (br_if $pd (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $t (i32.const 0))
        (loop $lt
          (local.set $i (i32.add (i32.shl (local.get $ib) (i32.const 2)) (local.get $t)))
          (if (i32.lt_u (local.get $i) (local.get $rows))
            (then
              (local.set $i (i32.add (local.get $i) (local.get $row0)))
              (f32.store (local.get $d)
                (f32.load (i32.add (local.get $src) (i32.shl
                  (if (result i32) (local.get $trans)
                    (then (i32.add (i32.mul (local.get $p) (local.get $m)) (local.get $i)))
                    (else (i32.add (i32.mul (local.get $i) (local.get $k)) (local.get $p))))
                  (i32.const 2))))))
            (else (f32.store (local.get $d) (f32.const 0))))
          (local.set $d (i32.add (local.get $d) (i32.const 4)))
          (local.set $t (i32.add (local.get $t) (i32.const 1)))
          (br_if $lt (i32.lt_u (local.get $t) (i32.const 4))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $lp)))
      (local.set $ib (i32.add (local.get $ib) (i32.const 1)))
      (br $lib))))

  ;; dst[(jb*k + p)*8 + t] = op(B)[p][jb*8 + t] (0 past n). op(B) is B (k×n) or, with trans,
  ;; the transpose of the stored n×k matrix.
  (func (export "pack_b") (param $src i32) (param $dst i32) (param $k i32) (param $n i32) (param $trans i32)
    (local $jb i32) (local $nb i32) (local $p i32) (local $t i32) (local $j i32) (local $d i32)
    (local.set $nb (i32.shr_u (i32.add (local.get $n) (i32.const 7)) (i32.const 3)))
    (local.set $d (local.get $dst))
    (local.set $jb (i32.const 0))
    (block $done (loop $ljb
      (br_if $done (i32.ge_u (local.get $jb) (local.get $nb)))
      (local.set $p (i32.const 0))
      (block $pd (loop $lp
        (br_if $pd (i32.ge_u (local.get $p) (local.get $k)))
        (local.set $j (i32.shl (local.get $jb) (i32.const 3)))
        (if (i32.and (i32.eqz (local.get $trans)) (i32.le_u (i32.add (local.get $j) (i32.const 8)) (local.get $n)))
          (then
            ;; a full, non-transposed row segment: two vector copies
            (local.set $t (i32.add (local.get $src) (i32.shl (i32.add (i32.mul (local.get $p) (local.get $n)) (local.get $j)) (i32.const 2))))
            (v128.store (local.get $d) (v128.load (local.get $t)))
            (v128.store offset=16 (local.get $d) (v128.load offset=16 (local.get $t))))
          (else
            (local.set $t (i32.const 0))
            (loop $lt
              (f32.store (i32.add (local.get $d) (i32.shl (local.get $t) (i32.const 2)))
                (if (result f32) (i32.lt_u (local.get $j) (local.get $n))
                  (then (f32.load (i32.add (local.get $src) (i32.shl
                    (if (result i32) (local.get $trans)
                      (then (i32.add (i32.mul (local.get $j) (local.get $k)) (local.get $p)))
                      (else (i32.add (i32.mul (local.get $p) (local.get $n)) (local.get $j))))
                    (i32.const 2)))))
                  (else (f32.const 0))))
              (local.set $j (i32.add (local.get $j) (i32.const 1)))
              (local.set $t (i32.add (local.get $t) (i32.const 1)))
              (br_if $lt (i32.lt_u (local.get $t) (i32.const 8))))))
        (local.set $d (i32.add (local.get $d) (i32.const 32)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $lp)))
      (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
      (br $ljb))))

  ;; ---- GEMM ----------------------------------------------------------------------------
  ;; 4×8 micro-kernel: C[4][8] (+)= Σ_p Apanel[p][0..4] ⊗ Bpanel[p][0..8], `len` steps of p.
  (func $kern (param $a i32) (param $b i32) (param $c i32) (param $len i32) (param $ld i32) (param $acc i32)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local $b0 v128) (local $b1 v128) (local $x v128)
    (local $r1 i32) (local $r2 i32) (local $r3 i32)
    (local.set $r1 (i32.add (local.get $c) (local.get $ld)))
    (local.set $r2 (i32.add (local.get $r1) (local.get $ld)))
    (local.set $r3 (i32.add (local.get $r2) (local.get $ld)))
    (if (local.get $acc) (then
      (local.set $c00 (v128.load (local.get $c)))  (local.set $c01 (v128.load offset=16 (local.get $c)))
      (local.set $c10 (v128.load (local.get $r1))) (local.set $c11 (v128.load offset=16 (local.get $r1)))
      (local.set $c20 (v128.load (local.get $r2))) (local.set $c21 (v128.load offset=16 (local.get $r2)))
      (local.set $c30 (v128.load (local.get $r3))) (local.set $c31 (v128.load offset=16 (local.get $r3)))))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $len)))
      (local.set $b0 (v128.load (local.get $b)))
      (local.set $b1 (v128.load offset=16 (local.get $b)))
      (local.set $x (v128.load32_splat (local.get $a)))
      (local.set $c00 (f32x4.add (local.get $c00) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c01 (f32x4.add (local.get $c01) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat offset=4 (local.get $a)))
      (local.set $c10 (f32x4.add (local.get $c10) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c11 (f32x4.add (local.get $c11) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat offset=8 (local.get $a)))
      (local.set $c20 (f32x4.add (local.get $c20) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c21 (f32x4.add (local.get $c21) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $x (v128.load32_splat offset=12 (local.get $a)))
      (local.set $c30 (f32x4.add (local.get $c30) (f32x4.mul (local.get $x) (local.get $b0))))
      (local.set $c31 (f32x4.add (local.get $c31) (f32x4.mul (local.get $x) (local.get $b1))))
      (local.set $a (i32.add (local.get $a) (i32.const 16)))
      (local.set $b (i32.add (local.get $b) (i32.const 32)))
      (local.set $len (i32.sub (local.get $len) (i32.const 1)))
      (br $l)))
    (v128.store (local.get $c) (local.get $c00))  (v128.store offset=16 (local.get $c) (local.get $c01))
    (v128.store (local.get $r1) (local.get $c10)) (v128.store offset=16 (local.get $r1) (local.get $c11))
    (v128.store (local.get $r2) (local.get $c20)) (v128.store offset=16 (local.get $r2) (local.get $c21))
    (v128.store (local.get $r3) (local.get $c30)) (v128.store offset=16 (local.get $r3) (local.get $c31)))

  ;; C (mb*4 × ldc floats) = packed A (mb panels) · packed B (nb panels), depth k.
  (func (export "gemm") (param $pa i32) (param $pb i32) (param $c i32) (param $mb i32) (param $nb i32)
        (param $k i32) (param $ldc i32)
    (local $p0 i32) (local $kc i32) (local $ib0 i32) (local $ib1 i32) (local $ib i32) (local $jb i32) (local $ld i32)
    (local.set $ld (i32.shl (local.get $ldc) (i32.const 2)))
    (block $pdone (loop $lp0
      (br_if $pdone (i32.ge_u (local.get $p0) (local.get $k)))
      (local.set $kc (i32.sub (local.get $k) (local.get $p0)))
      (if (i32.gt_u (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
      (local.set $ib0 (i32.const 0))
      (block $idone (loop $lib0
        (br_if $idone (i32.ge_u (local.get $ib0) (local.get $mb)))
        (local.set $ib1 (i32.add (local.get $ib0) (i32.const 16)))
        (if (i32.gt_u (local.get $ib1) (local.get $mb)) (then (local.set $ib1 (local.get $mb))))
        (local.set $jb (i32.const 0))
        (block $jdone (loop $ljb
          (br_if $jdone (i32.ge_u (local.get $jb) (local.get $nb)))
          (local.set $ib (local.get $ib0))
          (block $kdone (loop $lib
            (br_if $kdone (i32.ge_u (local.get $ib) (local.get $ib1)))
            (call $kern
              (i32.add (local.get $pa) (i32.shl (i32.add (i32.mul (local.get $ib) (local.get $k)) (local.get $p0)) (i32.const 4)))
              (i32.add (local.get $pb) (i32.shl (i32.add (i32.mul (local.get $jb) (local.get $k)) (local.get $p0)) (i32.const 5)))
              (i32.add (local.get $c) (i32.add
                (i32.mul (i32.shl (local.get $ib) (i32.const 2)) (local.get $ld))
                (i32.shl (local.get $jb) (i32.const 5))))
              (local.get $kc) (local.get $ld) (i32.ne (local.get $p0) (i32.const 0)))
            (local.set $ib (i32.add (local.get $ib) (i32.const 1)))
            (br $lib)))
          (local.set $jb (i32.add (local.get $jb) (i32.const 1)))
          (br $ljb)))
        (local.set $ib0 (local.get $ib1))
        (br $lib0)))
      (local.set $p0 (i32.add (local.get $p0) (local.get $kc)))
      (br $lp0))))

  ;; ---- dot products ----------------------------------------------------------------------
  ;; Σ x[i]·y[i] over n floats: two vector accumulators, scalar tail.
  (func $dotn (param $x i32) (param $y i32) (param $n i32) (result f32)
    (local $s0 v128) (local $s1 v128) (local $r f32)
    (block $d8 (loop $l8
      (br_if $d8 (i32.lt_u (local.get $n) (i32.const 8)))
      (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (v128.load (local.get $x)) (v128.load (local.get $y)))))
      (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (v128.load offset=16 (local.get $x)) (v128.load offset=16 (local.get $y)))))
      (local.set $x (i32.add (local.get $x) (i32.const 32)))
      (local.set $y (i32.add (local.get $y) (i32.const 32)))
      (local.set $n (i32.sub (local.get $n) (i32.const 8)))
      (br $l8)))
    (local.set $s0 (f32x4.add (local.get $s0) (local.get $s1)))
    (local.set $r (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))
    (block $d1 (loop $l1
      (br_if $d1 (i32.eqz (local.get $n)))
      (local.set $r (f32.add (local.get $r) (f32.mul (f32.load (local.get $x)) (f32.load (local.get $y)))))
      (local.set $x (i32.add (local.get $x) (i32.const 4)))
      (local.set $y (i32.add (local.get $y) (i32.const 4)))
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br $l1)))
    (local.get $r))

  ;; out[i] = q·M_i; with $cos, the cosine (0 when a norm is 0).
  (func (export "rowdots") (param $q i32) (param $mat i32) (param $out i32) (param $rows i32) (param $dim i32) (param $cos i32)
    (local $qn f32) (local $mn f32) (local $d f32) (local $row i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $dim) (i32.const 2)))
    (if (local.get $cos) (then (local.set $qn (f32.sqrt (call $dotn (local.get $q) (local.get $q) (local.get $dim))))))
    (block $done (loop $l
      (br_if $done (i32.eqz (local.get $rows)))
      (local.set $d (call $dotn (local.get $q) (local.get $mat) (local.get $dim)))
      (if (local.get $cos) (then
        (local.set $mn (f32.sqrt (call $dotn (local.get $mat) (local.get $mat) (local.get $dim))))
        (local.set $d (if (result f32) (i32.or (f32.eq (local.get $qn) (f32.const 0)) (f32.eq (local.get $mn) (f32.const 0)))
          (then (f32.const 0))
          (else (f32.div (local.get $d) (f32.mul (local.get $qn) (local.get $mn))))))))
      (f32.store (local.get $out) (local.get $d))
      (local.set $out (i32.add (local.get $out) (i32.const 4)))
      (local.set $mat (i32.add (local.get $mat) (local.get $stride)))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $l))))

  ;; ---- exp and friends -------------------------------------------------------------------
  ;; e^x for four lanes: Cephes expf (S. Moshier). x = n·ln2 + r with a two-constant Cody–Waite
  ;; reduction, e^r by a degree-5 minimax polynomial, 2^n built in the exponent bits.
  (func $exp4 (param $x v128) (result v128)
    (local $fx v128) (local $y v128) (local $z v128)
    (local.set $x (f32x4.min (f32x4.max (local.get $x) (v128.const f32x4 -87.33654 -87.33654 -87.33654 -87.33654))
                             (v128.const f32x4 88.37626 88.37626 88.37626 88.37626)))
    (local.set $fx (f32x4.floor (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504 1.44269504 1.44269504 1.44269504))
                                           (v128.const f32x4 0.5 0.5 0.5 0.5))))
    (local.set $x (f32x4.sub (local.get $x) (f32x4.mul (local.get $fx) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $x (f32x4.sub (local.get $x) (f32x4.mul (local.get $fx) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $z (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $y (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $y (f32x4.add (f32x4.mul (local.get $y) (local.get $x)) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $y (f32x4.add (f32x4.add (f32x4.mul (local.get $y) (local.get $z)) (local.get $x)) (v128.const f32x4 1 1 1 1)))
    (f32x4.mul (local.get $y)
      (i32x4.shl (i32x4.add (i32x4.trunc_sat_f32x4_s (local.get $fx)) (v128.const i32x4 127 127 127 127)) (i32.const 23))))

  ;; 1/(1 + e^−x)
  (func $sigmoid4 (param $x v128) (result v128)
    (f32x4.div (v128.const f32x4 1 1 1 1)
      (f32x4.add (v128.const f32x4 1 1 1 1) (call $exp4 (f32x4.neg (local.get $x))))))

  ;; GELU, tanh form: x·σ(2u), u = √(2/π)(x + 0.044715x³) clamped to ±15, since ½(1+tanh u) = σ(2u).
  (func $gelu4 (param $x v128) (result v128)
    (local $u v128)
    (local.set $u (f32x4.mul (v128.const f32x4 0.7978845608 0.7978845608 0.7978845608 0.7978845608)
      (f32x4.add (local.get $x) (f32x4.mul (v128.const f32x4 0.044715 0.044715 0.044715 0.044715)
        (f32x4.mul (local.get $x) (f32x4.mul (local.get $x) (local.get $x)))))))
    (local.set $u (f32x4.min (f32x4.max (local.get $u) (v128.const f32x4 -15 -15 -15 -15)) (v128.const f32x4 15 15 15 15)))
    (f32x4.mul (local.get $x) (call $sigmoid4 (f32x4.add (local.get $u) (local.get $u)))))

  ;; ---- element-wise: n4 vectors (the JS side pads buffers to whole vectors) -------------
  (func (export "add") (param $a i32) (param $b i32) (param $o i32) (param $n4 i32)
    (block $d (loop $l (br_if $d (i32.eqz (local.get $n4)))
      (v128.store (local.get $o) (f32x4.add (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16))) (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16))) (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
      (br $l))))
  (func (export "mul") (param $a i32) (param $b i32) (param $o i32) (param $n4 i32)
    (block $d (loop $l (br_if $d (i32.eqz (local.get $n4)))
      (v128.store (local.get $o) (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b))))
      (local.set $a (i32.add (local.get $a) (i32.const 16))) (local.set $b (i32.add (local.get $b) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16))) (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
      (br $l))))
  ;; op 0 relu, 1 sigmoid, 2 gelu
  (func (export "unary") (param $op i32) (param $x i32) (param $o i32) (param $n4 i32)
    (local $v v128)
    (block $d (loop $l (br_if $d (i32.eqz (local.get $n4)))
      (local.set $v (v128.load (local.get $x)))
      (v128.store (local.get $o)
        (if (result v128) (i32.eqz (local.get $op))
          (then (f32x4.pmax (local.get $v) (v128.const f32x4 0 0 0 0)))
          (else (if (result v128) (i32.eq (local.get $op) (i32.const 1))
            (then (call $sigmoid4 (local.get $v)))
            (else (call $gelu4 (local.get $v)))))))
      (local.set $x (i32.add (local.get $x) (i32.const 16)))
      (local.set $o (i32.add (local.get $o) (i32.const 16))) (local.set $n4 (i32.sub (local.get $n4) (i32.const 1)))
      (br $l))))

  ;; ---- row-wise reductions and softmax --------------------------------------------------
  ;; Lane mask for the last partial vector of a row: lanes < rem are all-ones.
  (func $mask (param $rem i32) (result v128)
    (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $rem))))

  ;; op 0 sum, 1 max, 2 min, 3 mean; out[r] over rows of `cols` floats (cols ≥ 1).
  (func (export "reduce") (param $op i32) (param $x i32) (param $o i32) (param $rows i32) (param $cols i32)
    (local $acc v128) (local $v v128) (local $m v128) (local $j i32) (local $p i32) (local $r f32) (local $id v128)
    (local.set $id (if (result v128) (i32.eq (local.get $op) (i32.const 1))
      (then (v128.const f32x4 -inf -inf -inf -inf))
      (else (if (result v128) (i32.eq (local.get $op) (i32.const 2))
        (then (v128.const f32x4 inf inf inf inf)) (else (v128.const f32x4 0 0 0 0))))))
    (block $rd (loop $rl (br_if $rd (i32.eqz (local.get $rows)))
      (local.set $acc (local.get $id))
      (local.set $j (i32.const 0))
      (local.set $p (local.get $x))
      (block $cd (loop $cl (br_if $cd (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $m (call $mask (i32.sub (local.get $cols) (local.get $j))))
        (local.set $v (v128.bitselect (v128.load (local.get $p)) (local.get $id) (local.get $m)))
        (local.set $acc
          (if (result v128) (i32.eq (local.get $op) (i32.const 1))
            (then (f32x4.max (local.get $acc) (local.get $v)))
            (else (if (result v128) (i32.eq (local.get $op) (i32.const 2))
              (then (f32x4.min (local.get $acc) (local.get $v)))
              (else (f32x4.add (local.get $acc) (local.get $v)))))))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $cl)))
      (local.set $r
        (if (result f32) (i32.eq (local.get $op) (i32.const 1))
          (then (f32.max (f32.max (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                         (f32.max (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
          (else (if (result f32) (i32.eq (local.get $op) (i32.const 2))
            (then (f32.min (f32.min (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                           (f32.min (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))
            (else (f32.add (f32.add (f32x4.extract_lane 0 (local.get $acc)) (f32x4.extract_lane 1 (local.get $acc)))
                           (f32.add (f32x4.extract_lane 2 (local.get $acc)) (f32x4.extract_lane 3 (local.get $acc)))))))))
      (if (i32.eq (local.get $op) (i32.const 3))
        (then (local.set $r (f32.div (local.get $r) (f32.convert_i32_u (local.get $cols))))))
      (f32.store (local.get $o) (local.get $r))
      (local.set $o (i32.add (local.get $o) (i32.const 4)))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $cols) (i32.const 2))))
      (local.set $rows (i32.sub (local.get $rows) (i32.const 1)))
      (br $rl))))

  ;; Row-wise softmax of rows×cols floats at $x into $o; each row starts at a 16-byte boundary
  ;; and is padded to whole vectors (stride $ld floats). A row of all −∞ becomes zeros.
  ;; With $causal set, row r only keeps columns c ≤ r + $shift (the rest become 0): the causal
  ;; mask of attention, applied here so no −∞ fill pass is needed.
  (func (export "softmax") (param $x i32) (param $o i32) (param $rows i32) (param $cols i32) (param $ld i32) (param $causal i32) (param $shift i32)
    (local $mx v128) (local $s v128) (local $v v128) (local $m v128) (local $j i32) (local $n i32) (local $row i32)
    (local $mxs f32) (local $sum f32) (local $inv v128) (local $addr i32)
    (block $rd (loop $rl (br_if $rd (i32.ge_u (local.get $row) (local.get $rows)))
      (local.set $n (local.get $cols))
      (if (local.get $causal) (then
        (local.set $n (i32.add (i32.add (local.get $row) (local.get $shift)) (i32.const 1)))
        (if (i32.gt_s (local.get $n) (local.get $cols)) (then (local.set $n (local.get $cols))))
        (if (i32.lt_s (local.get $n) (i32.const 0)) (then (local.set $n (i32.const 0))))))
      ;; pass 1: row maximum over the n kept columns
      (local.set $mx (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $j (i32.const 0))
      (block $d1 (loop $l1 (br_if $d1 (i32.ge_s (local.get $j) (local.get $n)))
        (local.set $m (call $mask (i32.sub (local.get $n) (local.get $j))))
        (local.set $mx (f32x4.max (local.get $mx)
          (v128.bitselect (v128.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2))))
                          (v128.const f32x4 -inf -inf -inf -inf) (local.get $m))))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l1)))
      (local.set $mxs (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mx)) (f32x4.extract_lane 1 (local.get $mx)))
                               (f32.max (f32x4.extract_lane 2 (local.get $mx)) (f32x4.extract_lane 3 (local.get $mx)))))
      (if (f32.eq (local.get $mxs) (f32.const -inf))
        (then (local.set $inv (v128.const f32x4 0 0 0 0)) (local.set $mxs (f32.const 0))))
      ;; pass 2: e^(x − max), masked lanes to 0, summed
      (local.set $mx (f32x4.splat (local.get $mxs)))
      (local.set $s (v128.const f32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      (block $d2 (loop $l2 (br_if $d2 (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $m (call $mask (i32.sub (local.get $n) (local.get $j))))
        (local.set $v (v128.and (local.get $m)
          (call $exp4 (f32x4.sub (v128.load (i32.add (local.get $x) (i32.shl (local.get $j) (i32.const 2)))) (local.get $mx)))))
        (v128.store (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 2))) (local.get $v))
        (local.set $s (f32x4.add (local.get $s) (local.get $v)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l2)))
      (local.set $sum (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s)) (f32x4.extract_lane 1 (local.get $s)))
                               (f32.add (f32x4.extract_lane 2 (local.get $s)) (f32x4.extract_lane 3 (local.get $s)))))
      (local.set $inv (if (result v128) (f32.gt (local.get $sum) (f32.const 0))
        (then (f32x4.splat (f32.div (f32.const 1) (local.get $sum)))) (else (v128.const f32x4 0 0 0 0))))
      ;; pass 3: normalise
      (local.set $j (i32.const 0))
      (block $d3 (loop $l3 (br_if $d3 (i32.ge_u (local.get $j) (local.get $cols)))
        (local.set $addr (i32.add (local.get $o) (i32.shl (local.get $j) (i32.const 2))))
        (v128.store (local.get $addr) (f32x4.mul (v128.load (local.get $addr)) (local.get $inv)))
        (local.set $j (i32.add (local.get $j) (i32.const 4)))
        (br $l3)))
      (local.set $x (i32.add (local.get $x) (i32.shl (local.get $ld) (i32.const 2))))
      (local.set $o (i32.add (local.get $o) (i32.shl (local.get $ld) (i32.const 2))))
      (local.set $row (i32.add (local.get $row) (i32.const 1)))
      (br $rl))))
)
