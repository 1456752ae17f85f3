;; @edge/hnsw distance kernel: WebAssembly SIMD (128-bit) dot product, squared L2 and int8 dot.
;; Compiled by scripts/build-wasm.mjs with wabt (pinned) into src/kernel-wasm.generated.ts.
;; All pointers are byte offsets into the imported memory. Float vectors have a length that is a
;; multiple of 4 (the index pads them with zeros); int8 codes have a length that is a multiple of 16.
;;
;; Batch functions compute the distance from one query to many stored vectors whose slot numbers
;; are listed (as i32) at $ids: vector k lives at $base + k * $n * 4 (or $base + k * $n for int8).
(module
  (import "env" "memory" (memory 1))

  ;; sum_i a[i] * b[i], n floats (multiple of 4)
  (func $dot (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $end i32) (local $end16 i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16
      (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (if (i32.lt_u (local.get $a) (local.get $end16))
      (then
        (loop $l16
          (local.set $s0 (f32x4.add (local.get $s0)
            (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
          (local.set $s1 (f32x4.add (local.get $s1)
            (f32x4.mul (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b)))))
          (local.set $s2 (f32x4.add (local.get $s2)
            (f32x4.mul (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b)))))
          (local.set $s3 (f32x4.add (local.get $s3)
            (f32x4.mul (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b)))))
          (local.set $a (i32.add (local.get $a) (i32.const 64)))
          (local.set $b (i32.add (local.get $b) (i32.const 64)))
          (br_if $l16 (i32.lt_u (local.get $a) (local.get $end16))))))
    (block $done
      (loop $l4
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $s0 (f32x4.add (local.get $s0)
          (f32x4.mul (v128.load (local.get $a)) (v128.load (local.get $b)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $l4)))
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1))
                              (f32x4.add (local.get $s2) (local.get $s3))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))

  ;; sum_i (a[i] - b[i])^2, n floats (multiple of 4)
  (func $l2 (param $a i32) (param $b i32) (param $n i32) (result f32)
    (local $end i32) (local $end16 i32) (local $d v128)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128)
    (local.set $end (i32.add (local.get $a) (i32.shl (local.get $n) (i32.const 2))))
    (local.set $end16
      (i32.add (local.get $a) (i32.shl (i32.and (local.get $n) (i32.const -16)) (i32.const 2))))
    (if (i32.lt_u (local.get $a) (local.get $end16))
      (then
        (loop $l16
          (local.set $d (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
          (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (v128.load offset=16 (local.get $a)) (v128.load offset=16 (local.get $b))))
          (local.set $s1 (f32x4.add (local.get $s1) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (v128.load offset=32 (local.get $a)) (v128.load offset=32 (local.get $b))))
          (local.set $s2 (f32x4.add (local.get $s2) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $d (f32x4.sub (v128.load offset=48 (local.get $a)) (v128.load offset=48 (local.get $b))))
          (local.set $s3 (f32x4.add (local.get $s3) (f32x4.mul (local.get $d) (local.get $d))))
          (local.set $a (i32.add (local.get $a) (i32.const 64)))
          (local.set $b (i32.add (local.get $b) (i32.const 64)))
          (br_if $l16 (i32.lt_u (local.get $a) (local.get $end16))))))
    (block $done
      (loop $l4
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $d (f32x4.sub (v128.load (local.get $a)) (v128.load (local.get $b))))
        (local.set $s0 (f32x4.add (local.get $s0) (f32x4.mul (local.get $d) (local.get $d))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $l4)))
    (local.set $s0 (f32x4.add (f32x4.add (local.get $s0) (local.get $s1))
                              (f32x4.add (local.get $s2) (local.get $s3))))
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $s0)) (f32x4.extract_lane 1 (local.get $s0)))
      (f32.add (f32x4.extract_lane 2 (local.get $s0)) (f32x4.extract_lane 3 (local.get $s0)))))

  ;; sum_i a[i] * b[i] over int8 codes, n bytes (multiple of 16)
  (func $dot8 (param $a i32) (param $b i32) (param $n i32) (result i32)
    (local $end i32) (local $va v128) (local $vb v128) (local $s v128)
    (local.set $end (i32.add (local.get $a) (local.get $n)))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $a) (local.get $end)))
        (local.set $va (v128.load (local.get $a)))
        (local.set $vb (v128.load (local.get $b)))
        (local.set $s (i32x4.add (local.get $s)
          (i32x4.dot_i16x8_s (i16x8.extend_low_i8x16_s (local.get $va))
                             (i16x8.extend_low_i8x16_s (local.get $vb)))))
        (local.set $s (i32x4.add (local.get $s)
          (i32x4.dot_i16x8_s (i16x8.extend_high_i8x16_s (local.get $va))
                             (i16x8.extend_high_i8x16_s (local.get $vb)))))
        (local.set $a (i32.add (local.get $a) (i32.const 16)))
        (local.set $b (i32.add (local.get $b) (i32.const 16)))
        (br $l)))
    (i32.add
      (i32.add (i32x4.extract_lane 0 (local.get $s)) (i32x4.extract_lane 1 (local.get $s)))
      (i32.add (i32x4.extract_lane 2 (local.get $s)) (i32x4.extract_lane 3 (local.get $s)))))

  (func (export "dot") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (call $dot (local.get $a) (local.get $b) (local.get $n)))

  (func (export "l2") (param $a i32) (param $b i32) (param $n i32) (result f32)
    (call $l2 (local.get $a) (local.get $b) (local.get $n)))

  (func (export "dot8") (param $a i32) (param $b i32) (param $n i32) (result i32)
    (call $dot8 (local.get $a) (local.get $b) (local.get $n)))

  ;; out[k] = c - dot(q, base + ids[k] * n * 4)   (cosine: c = 1, inner product: c = 0)
  (func (export "ip_batch")
    (param $q i32) (param $base i32) (param $n i32) (param $ids i32) (param $cnt i32)
    (param $out i32) (param $c f32)
    (local $end i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end (i32.add (local.get $ids) (i32.shl (local.get $cnt) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $ids) (local.get $end)))
        (f32.store (local.get $out)
          (f32.sub (local.get $c)
            (call $dot (local.get $q)
              (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $stride)))
              (local.get $n))))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $l))))

  ;; out[k] = |q - (base + ids[k] * n * 4)|^2
  (func (export "l2_batch")
    (param $q i32) (param $base i32) (param $n i32) (param $ids i32) (param $cnt i32)
    (param $out i32)
    (local $end i32) (local $stride i32)
    (local.set $stride (i32.shl (local.get $n) (i32.const 2)))
    (local.set $end (i32.add (local.get $ids) (i32.shl (local.get $cnt) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $ids) (local.get $end)))
        (f32.store (local.get $out)
          (call $l2 (local.get $q)
            (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $stride)))
            (local.get $n)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $l))))

  ;; out[k] = dot8(q, base + ids[k] * n) as i32
  (func (export "dot8_batch")
    (param $q i32) (param $base i32) (param $n i32) (param $ids i32) (param $cnt i32)
    (param $out i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $ids) (i32.shl (local.get $cnt) (i32.const 2))))
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $ids) (local.get $end)))
        (i32.store (local.get $out)
          (call $dot8 (local.get $q)
            (i32.add (local.get $base) (i32.mul (i32.load (local.get $ids)) (local.get $n)))
            (local.get $n)))
        (local.set $ids (i32.add (local.get $ids) (i32.const 4)))
        (local.set $out (i32.add (local.get $out) (i32.const 4)))
        (br $l))))
;; ------------------------------------------------------------------------------------------
  ;; Layer-0 beam search (Algorithm 2 of Malkov & Yashunin) over the index's own arrays, so that a
  ;; whole search runs without crossing into JS. configure() sets where the arrays are:
  ;;   vectors f32 [slot * dimp], codes i8 [slot * dim8], adjacency i32 [slot * deg] (count, links),
  ;;   visited u32 [slot], flags u8 [slot] (1 = live), int8 scales and squared norms f32 [slot],
  ;;   a candidate min-heap (ck keys f32, cv slots i32) and a result max-heap (bk, bv).
  (global $vec (mut i32) (i32.const 0))
  (global $dimp (mut i32) (i32.const 0))
  (global $codes (mut i32) (i32.const 0))
  (global $dim8 (mut i32) (i32.const 0))
  (global $adj (mut i32) (i32.const 0))
  (global $deg (mut i32) (i32.const 0))
  (global $vis (mut i32) (i32.const 0))
  (global $flags (mut i32) (i32.const 0))
  (global $scales (mut i32) (i32.const 0))
  (global $norms (mut i32) (i32.const 0))
  (global $ck (mut i32) (i32.const 0))
  (global $cv (mut i32) (i32.const 0))
  (global $bk (mut i32) (i32.const 0))
  (global $bv (mut i32) (i32.const 0))
  (global $sid (mut i32) (i32.const 0))
  (global $sout (mut i32) (i32.const 0))

  (func (export "configure")
    (param $vec i32) (param $dimp i32) (param $codes i32) (param $dim8 i32) (param $adj i32)
    (param $deg i32) (param $vis i32) (param $flags i32) (param $scales i32) (param $norms i32)
    (param $ck i32) (param $cv i32) (param $bk i32) (param $bv i32) (param $sid i32) (param $sout i32)
    (global.set $sid (local.get $sid)) (global.set $sout (local.get $sout))
    (global.set $vec (local.get $vec)) (global.set $dimp (local.get $dimp))
    (global.set $codes (local.get $codes)) (global.set $dim8 (local.get $dim8))
    (global.set $adj (local.get $adj)) (global.set $deg (local.get $deg))
    (global.set $vis (local.get $vis)) (global.set $flags (local.get $flags))
    (global.set $scales (local.get $scales)) (global.set $norms (local.get $norms))
    (global.set $ck (local.get $ck)) (global.set $cv (local.get $cv))
    (global.set $bk (local.get $bk)) (global.set $bv (local.get $bv)))

  ;; candidate min-heap: insert at size n
  (func $cpush (param $n i32) (param $key f32) (param $val i32)
    (local $i i32) (local $p i32) (local $pk f32)
    (local.set $i (local.get $n))
    (block $done
      (loop $up
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $p (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
        (local.set $pk (f32.load (i32.add (global.get $ck) (i32.shl (local.get $p) (i32.const 2)))))
        (br_if $done (f32.le (local.get $pk) (local.get $key)))
        (f32.store (i32.add (global.get $ck) (i32.shl (local.get $i) (i32.const 2))) (local.get $pk))
        (i32.store (i32.add (global.get $cv) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (global.get $cv) (i32.shl (local.get $p) (i32.const 2)))))
        (local.set $i (local.get $p))
        (br $up)))
    (f32.store (i32.add (global.get $ck) (i32.shl (local.get $i) (i32.const 2))) (local.get $key))
    (i32.store (i32.add (global.get $cv) (i32.shl (local.get $i) (i32.const 2))) (local.get $val)))

  ;; candidate min-heap: put (key, val) at the root of a heap of n elements and sift it down
  (func $csift (param $n i32) (param $key f32) (param $val i32)
    (local $i i32) (local $c i32) (local $ckey f32) (local $rkey f32)
    (block $done
      (loop $down
        (local.set $c (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $c) (local.get $n)))
        (local.set $ckey (f32.load (i32.add (global.get $ck) (i32.shl (local.get $c) (i32.const 2)))))
        (if (i32.lt_u (i32.add (local.get $c) (i32.const 1)) (local.get $n))
          (then
            (local.set $rkey (f32.load offset=4 (i32.add (global.get $ck) (i32.shl (local.get $c) (i32.const 2)))))
            (if (f32.lt (local.get $rkey) (local.get $ckey))
              (then (local.set $c (i32.add (local.get $c) (i32.const 1))) (local.set $ckey (local.get $rkey))))))
        (br_if $done (f32.le (local.get $key) (local.get $ckey)))
        (f32.store (i32.add (global.get $ck) (i32.shl (local.get $i) (i32.const 2))) (local.get $ckey))
        (i32.store (i32.add (global.get $cv) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (global.get $cv) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $i (local.get $c))
        (br $down)))
    (f32.store (i32.add (global.get $ck) (i32.shl (local.get $i) (i32.const 2))) (local.get $key))
    (i32.store (i32.add (global.get $cv) (i32.shl (local.get $i) (i32.const 2))) (local.get $val)))

  ;; result max-heap: insert at size n
  (func $bpush (param $n i32) (param $key f32) (param $val i32)
    (local $i i32) (local $p i32) (local $pk f32)
    (local.set $i (local.get $n))
    (block $done
      (loop $up
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $p (i32.shr_u (i32.sub (local.get $i) (i32.const 1)) (i32.const 1)))
        (local.set $pk (f32.load (i32.add (global.get $bk) (i32.shl (local.get $p) (i32.const 2)))))
        (br_if $done (f32.ge (local.get $pk) (local.get $key)))
        (f32.store (i32.add (global.get $bk) (i32.shl (local.get $i) (i32.const 2))) (local.get $pk))
        (i32.store (i32.add (global.get $bv) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (global.get $bv) (i32.shl (local.get $p) (i32.const 2)))))
        (local.set $i (local.get $p))
        (br $up)))
    (f32.store (i32.add (global.get $bk) (i32.shl (local.get $i) (i32.const 2))) (local.get $key))
    (i32.store (i32.add (global.get $bv) (i32.shl (local.get $i) (i32.const 2))) (local.get $val)))

  ;; result max-heap: put (key, val) at the root of a heap of n elements and sift it down
  (func $bsift (param $n i32) (param $key f32) (param $val i32)
    (local $i i32) (local $c i32) (local $ckey f32) (local $rkey f32)
    (block $done
      (loop $down
        (local.set $c (i32.add (i32.shl (local.get $i) (i32.const 1)) (i32.const 1)))
        (br_if $done (i32.ge_u (local.get $c) (local.get $n)))
        (local.set $ckey (f32.load (i32.add (global.get $bk) (i32.shl (local.get $c) (i32.const 2)))))
        (if (i32.lt_u (i32.add (local.get $c) (i32.const 1)) (local.get $n))
          (then
            (local.set $rkey (f32.load offset=4 (i32.add (global.get $bk) (i32.shl (local.get $c) (i32.const 2)))))
            (if (f32.gt (local.get $rkey) (local.get $ckey))
              (then (local.set $c (i32.add (local.get $c) (i32.const 1))) (local.set $ckey (local.get $rkey))))))
        (br_if $done (f32.ge (local.get $key) (local.get $ckey)))
        (f32.store (i32.add (global.get $bk) (i32.shl (local.get $i) (i32.const 2))) (local.get $ckey))
        (i32.store (i32.add (global.get $bv) (i32.shl (local.get $i) (i32.const 2)))
          (i32.load (i32.add (global.get $bv) (i32.shl (local.get $c) (i32.const 2)))))
        (local.set $i (local.get $c))
        (br $down)))
    (f32.store (i32.add (global.get $bk) (i32.shl (local.get $i) (i32.const 2))) (local.get $key))
    (i32.store (i32.add (global.get $bv) (i32.shl (local.get $i) (i32.const 2))) (local.get $val)))

  ;; distance from the query to slot x; mode 0: 1 - dot, 1: squared L2, 2: int8 1 - dot, 3: int8 L2
  (func $distx (param $mode i32) (param $q i32) (param $q8 i32) (param $x i32) (param $qs f32) (param $qn f32) (result f32)
    (local $s f32)
    (if (i32.eqz (local.get $mode))
      (then (return (f32.sub (f32.const 1)
        (call $dot (local.get $q)
          (i32.add (global.get $vec) (i32.mul (local.get $x) (i32.shl (global.get $dimp) (i32.const 2))))
          (global.get $dimp))))))
    (if (i32.eq (local.get $mode) (i32.const 1))
      (then (return
        (call $l2 (local.get $q)
          (i32.add (global.get $vec) (i32.mul (local.get $x) (i32.shl (global.get $dimp) (i32.const 2))))
          (global.get $dimp)))))
    (local.set $s (f32.mul (f32.mul (local.get $qs)
        (f32.load (i32.add (global.get $scales) (i32.shl (local.get $x) (i32.const 2)))))
      (f32.convert_i32_s
        (call $dot8 (local.get $q8)
          (i32.add (global.get $codes) (i32.mul (local.get $x) (global.get $dim8)))
          (global.get $dim8)))))
    (if (result f32) (i32.eq (local.get $mode) (i32.const 2))
      (then (f32.sub (f32.const 1) (local.get $s)))
      (else (f32.sub
        (f32.add (local.get $qn) (f32.load (i32.add (global.get $norms) (i32.shl (local.get $x) (i32.const 2)))))
        (f32.mul (f32.const 2) (local.get $s))))))

  ;; Beam search of width ef on layer 0 from ep (at distance epd). Slots whose flag is not 1 are
  ;; traversed but not returned. Leaves the results in the max-heap and returns their number.
  (func (export "search0")
    (param $q i32) (param $q8 i32) (param $ep i32) (param $epd f32) (param $ef i32) (param $gen i32)
    (param $mode i32) (param $qs f32) (param $qn f32) (result i32)
    (local $nc i32) (local $nb i32) (local $bound f32) (local $c i32) (local $p i32) (local $end i32)
    (local $x i32) (local $d f32) (local $vx i32) (local $stride i32) (local $m i32) (local $o i32)
    (local.set $stride (i32.shl (global.get $deg) (i32.const 2)))
    (i32.store (i32.add (global.get $vis) (i32.shl (local.get $ep) (i32.const 2))) (local.get $gen))
    (call $cpush (i32.const 0) (local.get $epd) (local.get $ep))
    (local.set $nc (i32.const 1))
    (local.set $bound (f32.const inf))
    (if (i32.eq (i32.load8_u (i32.add (global.get $flags) (local.get $ep))) (i32.const 1))
      (then
        (call $bpush (i32.const 0) (local.get $epd) (local.get $ep))
        (local.set $nb (i32.const 1))
        (if (i32.ge_u (local.get $nb) (local.get $ef)) (then (local.set $bound (local.get $epd))))))
    (block $finished
      (loop $main
        (br_if $finished (i32.eqz (local.get $nc)))
        (br_if $finished (f32.gt (f32.load (global.get $ck)) (local.get $bound)))
        (local.set $c (i32.load (global.get $cv)))
        ;; pop the nearest candidate
        (local.set $nc (i32.sub (local.get $nc) (i32.const 1)))
        (if (local.get $nc)
          (then (call $csift (local.get $nc)
            (f32.load (i32.add (global.get $ck) (i32.shl (local.get $nc) (i32.const 2))))
            (i32.load (i32.add (global.get $cv) (i32.shl (local.get $nc) (i32.const 2)))))))
;; pass 1: the unvisited links of c, into the scratch id list
        (local.set $p (i32.add (global.get $adj) (i32.mul (local.get $c) (local.get $stride))))
        (local.set $end (i32.add (i32.add (local.get $p) (i32.const 4))
          (i32.shl (i32.load (local.get $p)) (i32.const 2))))
        (local.set $p (i32.add (local.get $p) (i32.const 4)))
        (local.set $m (global.get $sid))
        (block $links_done
          (loop $links
            (br_if $links_done (i32.ge_u (local.get $p) (local.get $end)))
            (local.set $x (i32.load (local.get $p)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $vx (i32.add (global.get $vis) (i32.shl (local.get $x) (i32.const 2))))
            (br_if $links (i32.eq (i32.load (local.get $vx)) (local.get $gen)))
            (i32.store (local.get $vx) (local.get $gen))
            (i32.store (local.get $m) (local.get $x))
            (local.set $m (i32.add (local.get $m) (i32.const 4)))
            (br $links)))
        ;; pass 2: their distances, a branch-free run of kernels (memory loads overlap)
        (local.set $p (global.get $sid))
        (local.set $o (global.get $sout))
        (block $d_done
          (loop $dl
            (br_if $d_done (i32.ge_u (local.get $p) (local.get $m)))
            (f32.store (local.get $o) (call $distx (local.get $mode) (local.get $q) (local.get $q8)
              (i32.load (local.get $p)) (local.get $qs) (local.get $qn)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (br $dl)))
        ;; pass 3: heap updates
        (local.set $p (global.get $sid))
        (local.set $o (global.get $sout))
        (block $h_done
          (loop $hl
            (br_if $h_done (i32.ge_u (local.get $p) (local.get $m)))
            (local.set $x (i32.load (local.get $p)))
            (local.set $d (f32.load (local.get $o)))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (local.set $o (i32.add (local.get $o) (i32.const 4)))
            (if (i32.or (i32.lt_u (local.get $nb) (local.get $ef)) (f32.lt (local.get $d) (local.get $bound)))
              (then
                (call $cpush (local.get $nc) (local.get $d) (local.get $x))
                (local.set $nc (i32.add (local.get $nc) (i32.const 1)))
                (if (i32.eq (i32.load8_u (i32.add (global.get $flags) (local.get $x))) (i32.const 1))
                  (then
                    (if (i32.lt_u (local.get $nb) (local.get $ef))
                      (then
                        (call $bpush (local.get $nb) (local.get $d) (local.get $x))
                        (local.set $nb (i32.add (local.get $nb) (i32.const 1))))
                      (else (call $bsift (local.get $nb) (local.get $d) (local.get $x))))
                    (if (i32.ge_u (local.get $nb) (local.get $ef))
                      (then (local.set $bound (f32.load (global.get $bk)))))))))
            (br $hl)))
        (br $main)))
    (local.get $nb))

  ;; Empties the result max-heap of n elements into ck/cv, ascending by distance.
  (func (export "drain") (param $n i32)
    (local $i i32) (local $last i32)
    (local.set $i (local.get $n))
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $i)))
        (local.set $i (i32.sub (local.get $i) (i32.const 1)))
        (f32.store (i32.add (global.get $ck) (i32.shl (local.get $i) (i32.const 2))) (f32.load (global.get $bk)))
        (i32.store (i32.add (global.get $cv) (i32.shl (local.get $i) (i32.const 2))) (i32.load (global.get $bv)))
        (if (local.get $i)
          (then (call $bsift (local.get $i)
            (f32.load (i32.add (global.get $bk) (i32.shl (local.get $i) (i32.const 2))))
            (i32.load (i32.add (global.get $bv) (i32.shl (local.get $i) (i32.const 2)))))))
        (br $l))))
;; Algorithm 4 (neighbour-selection heuristic) over candidates sorted ascending by distance to
  ;; the base: slots at $ids, distances at $dists (n of them). A candidate is kept if it is closer
  ;; to the base than to every candidate kept before it; at most max are kept, written at $out.
  ;; mode 0: distance 1 - dot, mode 1: squared L2. Returns the number kept.
  (func (export "select") (param $ids i32) (param $dists i32) (param $n i32) (param $max i32)
    (param $out i32) (param $mode i32) (result i32)
    (local $i i32) (local $j i32) (local $kept i32) (local $e i32) (local $de f32) (local $ev i32)
    (local $rv i32) (local $d f32) (local $stride i32) (local $good i32)
    (local.set $stride (i32.shl (global.get $dimp) (i32.const 2)))
    (block $done
      (loop $cands
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (br_if $done (i32.ge_u (local.get $kept) (local.get $max)))
        (local.set $e (i32.load (i32.add (local.get $ids) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $de (f32.load (i32.add (local.get $dists) (i32.shl (local.get $i) (i32.const 2)))))
        (local.set $ev (i32.add (global.get $vec) (i32.mul (local.get $e) (local.get $stride))))
        (local.set $good (i32.const 1))
        (local.set $j (i32.const 0))
        (block $checked
          (loop $kept_loop
            (br_if $checked (i32.ge_u (local.get $j) (local.get $kept)))
            (local.set $rv (i32.add (global.get $vec)
              (i32.mul (i32.load (i32.add (local.get $out) (i32.shl (local.get $j) (i32.const 2)))) (local.get $stride))))
            (if (i32.eqz (local.get $mode))
              (then (local.set $d (f32.sub (f32.const 1) (call $dot (local.get $ev) (local.get $rv) (global.get $dimp)))))
              (else (local.set $d (call $l2 (local.get $ev) (local.get $rv) (global.get $dimp)))))
            (if (f32.lt (local.get $d) (local.get $de))
              (then (local.set $good (i32.const 0)) (br $checked)))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $kept_loop)))
        (if (local.get $good)
          (then
            (i32.store (i32.add (local.get $out) (i32.shl (local.get $kept) (i32.const 2))) (local.get $e))
            (local.set $kept (i32.add (local.get $kept) (i32.const 1)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $cands)))
    (local.get $kept))
)
